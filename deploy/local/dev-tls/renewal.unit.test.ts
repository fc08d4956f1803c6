import { renewal } from './renewal';

describe('renewal of the dev CA and certificate', () => {
  const usable = { caUsable: true, certUsable: true, certSignedByCa: true };

  it('keeps both while both are usable and the certificate is the CA’s', () =>
    expect(renewal(usable)).toEqual({ makeCa: false, makeCert: false }));

  it('makes only the certificate when it expires or was signed by another CA, so the trusted CA stays', () => {
    expect(renewal({ ...usable, certUsable: false })).toEqual({ makeCa: false, makeCert: true });
    expect(renewal({ ...usable, certSignedByCa: false })).toEqual({ makeCa: false, makeCert: true });
  });

  it('makes both when the CA is unusable: a certificate of the old CA would not verify', () =>
    expect(renewal({ ...usable, caUsable: false })).toEqual({ makeCa: true, makeCert: true }));
});
