#!/usr/bin/env python3
"""Signs test cases with the official cloud SDKs' own signing functions, for spotplan-sign's cross-check.

Driven by crates/spotplan-sign/tests/sdk_crosscheck.rs (cargo feature `sdk-crosscheck`), run with the virtualenv
made from tests/sdk/requirements.txt. Reads JSON lines on stdin, one case each:

    {"id", "scheme", "method", "host", "path", "query": [[k, v]...], "headers": [[k, v]...], "body_b64",
     "access_key_id", "secret", "timestamp" (Unix seconds), "nonce", "expiration"}

and prints one JSON line per case: {"id", "result"} or {"id", "error"}. `result` is:

* acs3   - the Authorization header from alibabacloud-tea-openapi's `Utils.get_authorization` (and the same from
           alibabacloud-openapi-util's `Client.get_authorization`; the two must agree);
* tc3    - the Authorization header from tencentcloud-sdk-python-common's `AbstractClient._get_tc3_signature`
           (which calls `Sign.sign_tc3`), in the header format of `_build_req_with_tc3_signature`;
* bce    - the Authorization header from bce-python-sdk's `bce_v1_signer.sign`.

Around each SDK function this script only rebuilds what the SDK's HTTP client would have set up before signing
(the date/nonce/hash headers, Host, Content-Length, the encoded path), as noted inline. Time and nonce come from
the case, never from the clock.
"""

import base64
import datetime
import json
import sys
import traceback
from types import SimpleNamespace

from alibabacloud_openapi_util.client import Client as OpenApiUtil
from alibabacloud_tea_openapi.utils import Utils as TeaUtils
from baidubce import utils as bce_utils
from baidubce.auth import bce_v1_signer
from baidubce.auth.bce_credentials import BceCredentials
from tencentcloud.common import abstract_client as tencent_client

ACS3 = "ACS3-HMAC-SHA256"


def iso8601(unix_seconds):
    """The SDKs' `%Y-%m-%dT%H:%M:%SZ` UTC format (Tea `get_timestamp`, legacy `get_iso_8061_date`)."""
    return datetime.datetime.fromtimestamp(unix_seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_acs3(case, body):
    # Tea `do_request` sets host, x-acs-date, x-acs-signature-nonce and x-acs-content-sha256 before signing; the
    # generated ECS code passes the path through `get_encode_path`.
    payload = TeaUtils.hash(body, ACS3).hex()
    headers = {"host": case["host"]}
    for name, value in case["headers"]:
        headers[name] = value
    headers["x-acs-date"] = iso8601(case["timestamp"])
    headers["x-acs-signature-nonce"] = case["nonce"]
    headers["x-acs-content-sha256"] = payload
    request = SimpleNamespace(
        method=case["method"],
        pathname=TeaUtils.get_encode_path(case["path"]),
        query=dict(case["query"]),
        headers=headers,
    )
    tea = TeaUtils.get_authorization(request, ACS3, payload, case["access_key_id"], case["secret"])
    util = OpenApiUtil.get_authorization(request, ACS3, payload, case["access_key_id"], case["secret"])
    if tea != util:
        raise AssertionError(f"tea-openapi {tea!r} != openapi-util {util!r}")
    return {"result": tea}


def sign_tc3(case, body):
    # `_build_req_with_tc3_signature` sets Content-Type, Host and X-TC-Timestamp, puts the urlencoded query in
    # `req.data` for GET, and takes the date and service as below.
    content_type = [value for name, value in case["headers"] if name.lower() == "content-type"][0]
    header = {"Content-Type": content_type, "Host": case["host"], "X-TC-Timestamp": str(case["timestamp"])}
    data = tencent_client.urlencode(dict(case["query"])) if case["method"] == "GET" else body
    request = SimpleNamespace(method=case["method"], uri=case["path"], header=header, data=data)
    date = datetime.datetime.fromtimestamp(case["timestamp"], datetime.timezone.utc).strftime("%Y-%m-%d")
    # The SDK takes the service from its client (`CvmClient._service = "cvm"`), not from the host.
    service = case["service"]
    signature = tencent_client.AbstractClient._get_tc3_signature(None, None, request, date, service, case["secret"])
    authorization = "TC3-HMAC-SHA256 Credential=%s/%s/%s/tc3_request, SignedHeaders=content-type;host, Signature=%s" % (
        case["access_key_id"],
        date,
        service,
        signature,
    )
    return {"result": authorization}


def sign_bce(case, body):
    # `bce_http_client.send_request` sets Host, Content-Length (always) and x-bce-date before signing; BOS-style
    # clients pass the path through `append_uri`, i.e. `normalize_string(path, False)`.
    headers = {name.encode("utf-8"): value.encode("utf-8") for name, value in case["headers"]}
    headers[b"Host"] = case["host"].encode("utf-8")
    headers[b"Content-Length"] = len(body)
    headers[b"x-bce-date"] = bce_utils.get_canonical_time(case["timestamp"])
    path = bce_utils.normalize_string(case["path"], False)
    authorization = bce_v1_signer.sign(
        BceCredentials(case["access_key_id"], case["secret"]),
        case["method"].encode("utf-8"),
        path,
        headers,
        dict(case["query"]),
        case["timestamp"],
        case["expiration"],
    )
    return {"result": authorization.decode("utf-8")}


SIGNERS = {"acs3": sign_acs3, "tc3": sign_tc3, "bce": sign_bce}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        try:
            body = base64.b64decode(case["body_b64"])
            answer = SIGNERS[case["scheme"]](case, body)
        except Exception:  # noqa: BLE001 - report every failure to the Rust side, which shows it
            answer = {"error": traceback.format_exc()}
        answer["id"] = case.get("id")
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
