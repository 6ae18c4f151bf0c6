"""Renders pgAdmin's OAUTH2 login against the Demiurge gateway (config_local.py) from the client JSON that
`demiurge-agent oidc-client` prints: reads it on stdin, writes Python on stdout. Values are written with
repr(), so nothing in the JSON can become code. pgAdmin reads config_local.py after its own config."""
import json
import sys

client = json.load(sys.stdin)
issuer = client["issuer"].rstrip("/")
config = {
    "OAUTH2_NAME": "demiurge",
    "OAUTH2_DISPLAY_NAME": "Demiurge",
    "OAUTH2_CLIENT_ID": client["client_id"],
    "OAUTH2_CLIENT_SECRET": client.get("client_secret"),
    "OAUTH2_SERVER_METADATA_URL": issuer + "/.well-known/openid-configuration",
    "OAUTH2_AUTHORIZATION_URL": issuer + "/oidc/auth",
    "OAUTH2_TOKEN_URL": issuer + "/oidc/token",
    "OAUTH2_API_BASE_URL": issuer + "/oidc/",
    "OAUTH2_USERINFO_ENDPOINT": issuer + "/oidc/me",
    "OAUTH2_SCOPE": "openid profile groups",
    # The gateway has no e-mail claim: pgAdmin names the user by preferred_username.
    "OAUTH2_USERNAME_CLAIM": "preferred_username",
    # The gateway requires PKCE of every client.
    "OAUTH2_CHALLENGE_METHOD": "S256",
    "OAUTH2_RESPONSE_TYPE": "code",
    "OAUTH2_ICON": "fa-openid",
    "OAUTH2_BUTTON_COLOR": "#3b5998",
}
print("# Written by the Demiurge entrypoint (images/pgadmin4/oauth2-config.py): sign in through the gateway.")
print("AUTHENTICATION_SOURCES = ['oauth2', 'internal']")
print("OAUTH2_AUTO_CREATE_USER = True")
print("OAUTH2_CONFIG = [" + repr(config) + "]")
