"""Schemathesis hooks for `cargo xtask fuzz-api`.

The fuzzer authenticates with the server's bootstrap API key. Its stateful phase follows links
from `GET /api/v1/api-keys` to `DELETE /api/v1/api-keys/{id}` and `POST .../rotate`, which would
revoke that key and turn the rest of the run into 401s. Requests that name the protected key
are pointed at an id that does not exist instead (so they still run, and get a 404).
"""

import os

import schemathesis

PROTECTED = os.environ.get("WEFT_FUZZ_PROTECTED_KEY_ID", "")


@schemathesis.hook
def before_call(context, case, kwargs):
    if not PROTECTED or not case.operation.path.startswith("/api/v1/api-keys/"):
        return
    params = case.path_parameters or {}
    if params.get("id") == PROTECTED:
        params["id"] = "key_protected_by_fuzz_api"
