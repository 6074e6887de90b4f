// A real OpenID Connect provider (panva/oidc-provider) for the sign-in tests. TEST ONLY:
// its built-in login page accepts any login (which becomes the e-mail) and any password.
// Logins starting with "unverified" get email_verified: false. A login keeps its letter case
// in the e-mail; "alice@example.com#2" is another account (sub) with alice@example.com's
// address, as when an account is deleted and re-created at the provider.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.OP_PORT || 9010);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

// Logins whose name claim is hostile: controls, invisible characters, far too long.
const NAMES = {
  'nul-name@example.com': 'Ada\u0000 Alvarez\u0007',
  'zero-width-name@example.com': 'Ada\u200bAlvarez \u202eBrennan',
  'long-name@example.com': `${'A'.repeat(300)} ${'B'.repeat(300)}`,
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'tokenboard-test',
    client_secret: 'tokenboard-test-secret',
    redirect_uris: process.env.RP_REDIRECT.split(','),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        const email = sub.split('#')[0];
        return { sub, email, email_verified: !sub.startsWith('unverified'),
                 name: NAMES[email] ?? `Test ${sub.split('@')[0]}` };
      },
    };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  jwks: { keys: [jwk] },
  cookies: { keys: ['test-only-cookie-key'] },
  features: { devInteractions: { enabled: true } },
});
provider.listen(port, '127.0.0.1', () => console.log(`READY ${issuer}`));
