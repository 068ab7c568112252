//! OAuth errors translated into what to fix in Salesforce Setup.

/// A hint for an OAuth `error` / `error_description` pair, in Setup terms.
#[must_use]
pub(crate) fn hint_for(flow: &str, error: &str, description: &str) -> Option<&'static str> {
    let description = description.to_ascii_lowercase();
    Some(match (error, description.as_str()) {
        ("invalid_grant", d) if d.contains("audience") => {
            "the JWT audience does not match the org: use https://test.salesforce.com (or the sandbox My Domain) as loginUrl for a sandbox, https://login.salesforce.com for production"
        }
        ("invalid_grant", d) if d.contains("hasn't approved") || d.contains("not approved") => {
            "the user is not pre-authorized for the app: in the connected app's policies choose 'Admin approved users are pre-authorized' and grant the app to the user's profile or a permission set"
        }
        ("invalid_grant", d) if d.contains("expired") => {
            "the assertion expired on arrival: check this machine's clock (clock skew) and that exp is under 3 minutes ahead"
        }
        ("invalid_grant", d) if d.contains("invalid assertion") || d.contains("signature") => {
            "the assertion's signature does not verify: the private key does not match the certificate uploaded to the connected app ('Use digital signatures'), or the machine's clock is off"
        }
        ("invalid_grant", d) if d.contains("client credentials") || d.contains("run-as") || d.contains("run as") => {
            "the client credentials flow has no run-as user: in the app's OAuth policies enable the flow and set a 'Run As' user"
        }
        ("invalid_grant", d) if d.contains("authentication failure") => {
            "wrong username or password; from an untrusted network append the user's security token to the password"
        }
        ("invalid_grant", _) if flow == "client credentials" => {
            "check that the client credentials flow is enabled with a run-as user, and that you log in at the My Domain URL"
        }
        ("invalid_client_id", _) => {
            "unknown consumer key: copy the app's Consumer Key into clientId (new apps take up to 10 minutes to become usable)"
        }
        ("invalid_client", _) => "wrong client secret: copy the app's Consumer Secret again",
        ("unsupported_grant_type", _) => {
            "this OAuth flow is not enabled for the app: enable it in the app's OAuth settings (for client credentials, also log in at the My Domain URL, not login.salesforce.com)"
        }
        ("invalid_app_access", _) => {
            "the user is not allowed to use the app: add the app to the user's profile or permission set"
        }
        ("invalid_scope", _) => {
            "the app lacks the Data 360 scopes: add `api`, `cdp_api` and the other `cdp_*` scopes to the app and reconnect"
        }
        ("invalid_request", d) if d.contains("dataspace") || d.contains("data space") => {
            "the user has no access to this data space: grant it in the Data 360 permission set, or set `dataspace` in d360.yaml"
        }
        _ => return None,
    })
}
