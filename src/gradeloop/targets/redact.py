"""Secrets out of target specs: userinfo and secret-looking query parameters become `***`.

A spec such as `openai:m@https://user:PW@host/v1?api-key=KEY` is stored in the results store,
written into run, compare and report files and printed by `runs`, `show` and `eval`; only its
redacted form may go there. What identifies the endpoint (scheme, host, port, path, the other
query parameters) stays readable, and the target's fingerprint (a hash of the full spec's
endpoint) still tells two keys or two passwords apart without showing either.
"""
from __future__ import annotations

import re

MASK = "***"
# scheme://USERINFO@ : everything between // and the last @ before the host's end.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#\s;]*@)")
# ?name=value or &name=value inside a URL (a spec's own `;option=value` never matches: it starts with ;).
_PARAM = re.compile(r"(?P<lead>[?&])(?P<name>[^=&#;\s?]+)=(?P<value>[^&#;\s]*)")
# Name parts that mark a credential: api-key, api_key, apikey, x-api-key, token, access_token,
# secret, client_secret, password, passwd, pwd, sig, signature, X-Amz-Credential/Signature/Security-Token,
# auth, authorization, session, jwt, sas, code (OAuth), private, credential(s).
_SECRET_PARTS = {"key", "apikey", "token", "secret", "password", "passwd", "pwd", "pass", "sig", "signature",
                 "credential", "credentials", "auth", "authorization", "session", "sessionid", "jwt", "sas",
                 "code", "private", "privatekey", "accesstoken", "refreshtoken", "clientsecret", "bearer", "cookie"}
_SPLIT = re.compile(r"[-_.\s]+|(?<=[a-z])(?=[A-Z])")


def secret_param(name: str) -> bool:
    """Whether a query parameter name looks like it carries a credential."""
    lowered = name.lower()
    if any(word in lowered for word in ("token", "secret", "passw", "apikey", "api_key", "api-key", "signature")):
        return True
    return any(part.lower() in _SECRET_PARTS for part in _SPLIT.split(name) if part)


def _param(match: re.Match[str]) -> str:
    if not secret_param(match["name"]) or not match["value"]:
        return match[0]
    return f"{match['lead']}{match['name']}={MASK}"


def redact_spec(text: str) -> str:
    """`text` with userinfo and secret query values of every URL in it replaced by `***`."""
    if "@" not in text and "=" not in text:
        return text
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    return _PARAM.sub(_param, text)


def has_secret(text: str) -> bool:
    """Whether redaction would change `text` (a spec carrying a password or a key)."""
    return redact_spec(text) != text
