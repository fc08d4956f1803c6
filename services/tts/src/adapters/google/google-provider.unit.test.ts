import { endpointOptions } from './google-provider';

describe('google endpoint', () => {
  it('reads host:port as TLS and a URL as it says', () => {
    expect(endpointOptions('texttospeech.example.internal:8443')).toEqual({
      apiEndpoint: 'texttospeech.example.internal',
      port: 8443,
      protocol: 'https',
    });
    expect(endpointOptions('http://127.0.0.1:9000')).toEqual({
      apiEndpoint: '127.0.0.1',
      port: 9000,
      protocol: 'http',
    });
    expect(endpointOptions('https://[::1]')).toEqual({ apiEndpoint: '::1', protocol: 'https' });
  });
});
