// Things web: reads the things from the Things API with a token from DefaultAzureCredential, no secret in
// the code. In App Service the token comes from the app's managed identity; on a laptop from tenantd
// (`tenantd run --as joonasmsitest -- node web.mjs`).
//   THINGS_URL     the API's base URL (default http://127.0.0.1:8000)
//   THINGS_SCOPE   the API's App ID URI + /.default (default api://things/.default)
// Prints the API's answer; exits 0 when the API said yes, 1 otherwise.
import { DefaultAzureCredential } from "@azure/identity";

const url = (process.env.THINGS_URL || "http://127.0.0.1:8000").replace(/\/$/, "");
const scope = process.env.THINGS_SCOPE || "api://things/.default";
// disableInstanceDiscovery changes nothing against Entra ID; against tenantd it keeps workload identity
// (AZURE_FEDERATED_TOKEN_FILE) from asking login.microsoftonline.com about the authority first.
const credential = new DefaultAzureCredential({ disableInstanceDiscovery: true });
const { token } = await credential.getToken(scope);
const response = await fetch(`${url}/things`, { headers: { Authorization: `Bearer ${token}` } });
console.log(response.status, await response.text());
if (response.status === 401 || response.status === 403) console.error(response.headers.get("www-authenticate"));
process.exitCode = response.ok ? 0 : 1;
