import { SynthesisRequestError } from './errors';
import { checkSynthesisRequest, type RawSynthesisRequest } from './synthesis-request';

const limits = { maxTextChars: 10, maxSsmlChars: 40 };
const raw = (overrides: Partial<RawSynthesisRequest>): RawSynthesisRequest => ({
  provider: '',
  voice: '',
  language: '',
  input: { $case: 'text', text: 'hello' },
  sampleRateHz: 0,
  ...overrides,
});
const check = (overrides: Partial<RawSynthesisRequest>) =>
  checkSynthesisRequest(raw(overrides), { provider: 'espeak' }, limits);

describe('checkSynthesisRequest', () => {
  it('fills the default provider and 8000 Hz', () => {
    expect(check({})).toEqual({
      provider: 'espeak',
      voice: '',
      language: '',
      input: { kind: 'text', value: 'hello' },
      sampleRateHz: 8000,
    });
    expect(check({ provider: 'polly', sampleRateHz: 16000 })).toMatchObject({
      provider: 'polly',
      sampleRateHz: 16000,
    });
  });

  it('takes text up to the limit and SSML up to its own', () => {
    expect(check({ input: { $case: 'text', text: 'x'.repeat(10) } }).input.value).toHaveLength(10);
    expect(() => check({ input: { $case: 'text', text: 'x'.repeat(11) } })).toThrow(
      '11 characters; the limit is 10',
    );
    const ssml = `<speak>${'x'.repeat(25)}</speak>`;
    expect(check({ input: { $case: 'ssml', ssml } }).input).toEqual({ kind: 'ssml', value: ssml });
    expect(() => check({ input: { $case: 'ssml', ssml: `<speak>${'x'.repeat(30)}</speak>` } })).toThrow(
      'the limit is 40',
    );
  });

  it.each([
    [{ input: undefined }, 'text or ssml is required'],
    [{ input: { $case: 'text' as const, text: ' \n ' } }, 'text is empty'],
    [{ input: { $case: 'ssml' as const, ssml: '' } }, 'ssml is empty'],
    [{ input: { $case: 'ssml' as const, ssml: 'hello' } }, '<speak>'],
    [{ provider: 'azure' }, 'unknown provider "azure"'],
    [{ sampleRateHz: 22050 }, 'sample_rate_hz 22050'],
  ])('refuses %j: %s', (overrides, message) => {
    expect(() => check(overrides)).toThrow(SynthesisRequestError);
    expect(() => check(overrides)).toThrow(message);
  });
});
