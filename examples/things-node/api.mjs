// Things API: GET /things for callers that hold the app role Things.Read.All, validated with jose.
//
// Configured by the environment only, so the same code runs against Entra ID and against tenantd:
//   THINGS_TENANT_ID   the tenant's id
//   THINGS_AUDIENCE    what tokens must be for, comma separated: the App ID URI (v1 tokens) and/or the appId (v2)
//   THINGS_AUTHORITY   https://login.microsoftonline.com (the default) or tenantd's URL
//   PORT               where to listen on 127.0.0.1 (default 8000)
// Against tenantd, Node trusts its CA through NODE_EXTRA_CA_CERTS=<data dir>/ca-bundle.pem.
import express from "express";
import { createRemoteJWKSet, errors, jwtVerify } from "jose";

const THINGS = [{ id: 1, name: "kettle" }, { id: 2, name: "teapot" }, { id: 3, name: "mug" }];
const tenant = process.env.THINGS_TENANT_ID;
const audience = process.env.THINGS_AUDIENCE.split(",").map((a) => a.trim()).filter(Boolean);
const authority = `${process.env.THINGS_AUTHORITY || "https://login.microsoftonline.com"}/${tenant}`;

// v1 and v2 tokens have issuers of their own, each in its discovery document; both are signed by one key set.
const [v1, v2] = await Promise.all([`${authority}/.well-known/openid-configuration`,
  `${authority}/v2.0/.well-known/openid-configuration`].map(async (url) => (await fetch(url)).json()));
const keys = createRemoteJWKSet(new URL(v2.jwks_uri));

function refuse(res, status, error, description) {
  res.set("WWW-Authenticate", `Bearer error="${error}", error_description="${description}"`);
  res.status(status).json({ error, error_description: description });
}

// The role is checked after the token: a missing role is 403, anything wrong with the token 401.
function requireRole(role) {
  return async (req, res, next) => {
    const [scheme, token] = (req.get("authorization") || "").split(" ");
    if (scheme?.toLowerCase() !== "bearer" || !token) return refuse(res, 401, "invalid_token", "No bearer token");
    try {
      const { payload } = await jwtVerify(token, keys, { issuer: [v1.issuer, v2.issuer], audience,
                                                         algorithms: ["RS256"] });
      if (!(payload.roles || []).includes(role)) return refuse(res, 403, "insufficient_scope", `The role ${role} is required`);
      req.claims = payload;
      return next();
    } catch (error) {
      if (error instanceof errors.JOSEError) return refuse(res, 401, "invalid_token", error.code);
      return next(error);
    }
  };
}

const app = express();
app.get("/things", requireRole("Things.Read.All"), (req, res) => {
  res.json({ things: THINGS, caller: req.claims.appid ?? req.claims.azp, roles: req.claims.roles });
});
const server = app.listen(Number(process.env.PORT || 8000), "127.0.0.1", () => {
  console.log(`Things API on http://127.0.0.1:${server.address().port}`);
});
