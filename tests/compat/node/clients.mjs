// The Node clients, unmodified, each asked for one token: `node clients.mjs` with a JSON list of cases in
// $TENANTD_NODE_CASES (the environment, not argv, as the cases may hold a secret) prints a JSON list with,
// for each case, the token's claims or the client's error. Several cases share one process,
// as they share one Node start-up.
import {
  ClientCertificateCredential, ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { ConfidentialClientApplication, ManagedIdentityApplication } from "@azure/msal-node";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { readFileSync } from "node:fs";

const env = process.env;
const authority = (c) => `${c.authorityHost}/${env.AZURE_TENANT_ID}`;

async function msalToken(app, scope) {
  return (await app.acquireTokenByClientCredential({ scopes: [scope] })).accessToken;
}

const CLIENTS = {
  // azure-identity: the authority host, and no instance discovery (login.microsoftonline.com would be asked)
  async identitySecret(c) {
    const credential = new ClientSecretCredential(env.AZURE_TENANT_ID, c.clientId, c.secret,
                                                  { authorityHost: c.authorityHost, disableInstanceDiscovery: true });
    return (await credential.getToken(c.scope)).token;
  },
  async identityCertificate(c) {
    const credential = new ClientCertificateCredential(env.AZURE_TENANT_ID, c.clientId, { certificatePath: c.pem },
                                                       { authorityHost: c.authorityHost, disableInstanceDiscovery: true });
    return (await credential.getToken(c.scope)).token;
  },
  // msal-node: the authority known by host and port ...
  async msalSecret(c) {
    const app = new ConfidentialClientApplication({ auth: {
      clientId: c.clientId, authority: authority(c), clientSecret: c.secret,
      knownAuthorities: [new URL(c.authorityHost).host] } });
    return msalToken(app, c.scope);
  },
  // ... or told by tenantd's own instance discovery
  async msalSecretDiscovery(c) {
    const query = new URLSearchParams({ "api-version": "1.1", authorization_endpoint: `${authority(c)}/oauth2/v2.0/authorize` });
    const metadata = await (await fetch(`${c.authorityHost}/common/discovery/instance?${query}`)).text();
    const app = new ConfidentialClientApplication({ auth: {
      clientId: c.clientId, authority: authority(c), clientSecret: c.secret, cloudDiscoveryMetadata: metadata } });
    return msalToken(app, c.scope);
  },
  async msalCertificate(c) {
    const pem = readFileSync(c.pem, "utf8");
    const app = new ConfidentialClientApplication({ auth: {
      clientId: c.clientId, authority: authority(c), knownAuthorities: [new URL(c.authorityHost).host],
      clientCertificate: { thumbprintSha256: c.thumbprintSha256, privateKey: pem } } });
    return msalToken(app, c.scope);
  },
  async defaultCredential(c) {
    return (await new DefaultAzureCredential(c.options).getToken(c.scope)).token;
  },
  // ManagedIdentityCredential() in JS does not read AZURE_CLIENT_ID: without clientId it is the system identity
  async managedIdentity(c) {
    const credential = c.clientId ? new ManagedIdentityCredential({ clientId: c.clientId }) : new ManagedIdentityCredential();
    return (await credential.getToken(c.scope)).token;
  },
  // the one option an app constructing WorkloadIdentityCredential itself passes against tenantd
  async workloadIdentity(c) {
    return (await new WorkloadIdentityCredential({ disableInstanceDiscovery: true }).getToken(c.scope)).token;
  },
  async msalManagedIdentity(c) {
    const app = new ManagedIdentityApplication(c.clientId ? { managedIdentityIdParams: { userAssignedClientId: c.clientId } } : {});
    return (await app.acquireToken({ resource: c.resource })).accessToken;
  },
};

// jose verifies each token as an API would: the discovery document's keys and issuer, the expected audience.
async function verified(token, c) {
  const version = decodeJwt(token).ver === "1.0" ? "" : "/v2.0";
  const discovery = await (await fetch(`${c.authorityHost}/${env.AZURE_TENANT_ID}${version}/.well-known/openid-configuration`)).json();
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(discovery.jwks_uri)),
                                      { issuer: discovery.issuer, audience: c.audience, algorithms: ["RS256"] });
  return payload;
}

const results = [];
for (const c of JSON.parse(env.TENANTD_NODE_CASES)) {
  try {
    const token = await CLIENTS[c.client](c);
    results.push({ name: c.name, claims: await verified(token, c) });
  } catch (error) {
    results.push({ name: c.name, error: `${error.name}: ${error.message}` });
  }
}
console.log(JSON.stringify(results));
