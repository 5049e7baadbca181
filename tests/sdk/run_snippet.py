#!/usr/bin/env python3
"""Runs a Spotplan Python snippet as is, with its SDK's network redirected to a local recorder, and prints what the
snippet sent.

Driven by crates/spotplan-cli/tests/sdk_conformance.rs (cargo feature `sdk-conformance`):

    run_snippet.py CLOUD SNIPPET.py

The snippet is the text `spotplan request ORDER --format python` prints, unchanged. Before executing it this
script starts the recorder of capture_order.py and redirects the SDK's endpoint there, in the SDK's own
configuration objects and nowhere else:

* Alibaba: every `alibabacloud_tea_openapi` `Config` gets `endpoint=127.0.0.1:<port>`, `protocol=http`;
* Tencent: every `tencentcloud` `HttpProfile` gets `endpoint=127.0.0.1:<port>`, `protocol=http`;
* Baidu: every `BceClientConfiguration` gets `endpoint=http://127.0.0.1:<port>`.

Credentials and the password come from the environment variables the snippet reads (the Rust test sets fake
ones). The snippet's own output goes to stderr; stdout carries one JSON object in capture_order.py's format. The
exit status is 1, with the traceback on stderr, when the snippet raises.
"""

import contextlib
import json
import sys
import traceback

sys.dont_write_bytecode = True  # importing capture_order must leave no __pycache__ in the source tree

from capture_order import Recorder, only_request  # noqa: E402


def redirect_alibaba(host):
    from alibabacloud_tea_openapi.utils_models import Config

    original = Config.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.endpoint = host
        self.protocol = "http"

    Config.__init__ = init


def redirect_tencent(host):
    from tencentcloud.common.profile.http_profile import HttpProfile

    original = HttpProfile.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.endpoint = host
        self.protocol = "http"
        self.scheme = "http"

    HttpProfile.__init__ = init


def redirect_baidu(host):
    from baidubce.bce_client_configuration import BceClientConfiguration

    original = BceClientConfiguration.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.endpoint = f"http://{host}".encode("utf-8")

    BceClientConfiguration.__init__ = init


REDIRECTS = {"alibaba": redirect_alibaba, "tencent": redirect_tencent, "baidu": redirect_baidu}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in REDIRECTS:
        sys.exit("usage: run_snippet.py alibaba|tencent|baidu SNIPPET.py")
    cloud, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as file:
        code = compile(file.read(), path, "exec")
    with Recorder(cloud) as recorder:
        REDIRECTS[cloud](recorder.host)
        try:
            with contextlib.redirect_stdout(sys.stderr):
                exec(code, {"__name__": "__main__", "__file__": path})
        except BaseException:
            traceback.print_exc()
            sys.exit(1)
        record = only_request(recorder)
    record["sdk"] = cloud
    json.dump(record, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
