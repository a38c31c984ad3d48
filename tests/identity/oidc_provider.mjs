// A real OpenID Connect provider for the sign-in tests: the npm package oidc-provider, on loopback, with
// the clients and accounts of a JSON file (argv[2]), its own login page, and nothing kept between runs.
//
//   node tests/identity/oidc_provider.mjs config.json
//   config: {"port": 0, "clients": [{"client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris",
//            "id_token_audience"?}], "accounts": {"<login>": {"password", "claims": {...}}}}
//
// A client given "id_token_audience" gets its ID tokens issued for that audience instead of its own id,
// signed with the provider's key: a provider answering with a token meant for another application,
// which the relying party must refuse.
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = config.accounts;
const audienceFor = Object.fromEntries(
  config.clients.filter((c) => c.id_token_audience).map((c) => [c.client_id, c.id_token_audience]),
);

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-signing-key', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    post_logout_redirect_uris: c.post_logout_redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
  })),
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  },
  async findAccount(ctx, id) {
    if (!accounts[id]) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...accounts[id].claims }; } };
  },
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // The service is a first-party application of the organisation: signing in grants it the scopes asked
  // for, with no consent page.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
});

function resign(token, changes) {
  const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url')));
  const head = Buffer.from(JSON.stringify(header)).toString('base64url');
  const body = Buffer.from(JSON.stringify({ ...payload, ...changes })).toString('base64url');
  const signature = crypto.sign('sha256', Buffer.from(`${head}.${body}`), privateKey).toString('base64url');
  return `${head}.${body}.${signature}`;
}

provider.use(async (ctx, next) => {
  await next();
  const audience = audienceFor[ctx.oidc?.client?.clientId];
  if (audience && ctx.oidc.route === 'token' && ctx.status === 200 && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: resign(ctx.body.id_token, { aud: audience }) };
  }
});

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function loginPage(res, uid, problem) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!DOCTYPE html><html><head><title>Test provider sign-in</title></head><body>
<h1>Sign in to the test provider</h1>${problem ? `<p role="alert">${escape(problem)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Login <input name="login"></label> <label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button></form></body></html>`);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(new URLSearchParams(data)));
    req.on('error', reject);
  });
}

const handle = provider.callback();
const server = http.createServer(async (req, res) => {
  const path = new URL(req.url, issuer).pathname;
  if (!path.startsWith('/interaction/')) return handle(req, res);
  try {
    const { uid } = await provider.interactionDetails(req, res);
    if (req.method !== 'POST') return loginPage(res, uid, '');
    const form = await readBody(req);
    const login = form.get('login') || '';
    if (!accounts[login] || accounts[login].password !== form.get('password')) {
      return loginPage(res, uid, 'The login or the password is wrong.');
    }
    return await provider.interactionFinished(req, res, { login: { accountId: login } },
      { mergeWithLastSubmission: false });
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    return res.end(`interaction failed: ${error.message}`);
  }
});

server.listen(config.port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
