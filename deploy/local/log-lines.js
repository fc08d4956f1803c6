// How `make dev` shows the services' output: one coloured prefix per service, and pino's JSON turned into
// "time level msg key=value" for a person reading a terminal.

function prefix(name, colour) {
  return `\x1b[${colour}m${name.padEnd(18)}\x1b[0m│ `;
}

function humanise(line) {
  if (!line.startsWith('{')) return line;
  try {
    const {
      level,
      time,
      msg,
      service: _service,
      pid: _pid,
      hostname: _hostname,
      ...fields
    } = JSON.parse(line);
    const facts = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const lvl =
      level === 'error' || level === 'fatal'
        ? `\x1b[31m${level}\x1b[0m`
        : level === 'warn'
          ? `\x1b[33m${level}\x1b[0m`
          : level;
    return `${(time ?? '').slice(11, 23)} ${lvl} ${msg ?? ''}${facts ? `  ${facts}` : ''}`;
  } catch {
    return line;
  }
}

module.exports = { prefix, humanise };
