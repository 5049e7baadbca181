#!/usr/bin/env python3
"""Sends a Spotplan order through each cloud's official Python SDK to a local recorder and prints what went out.

Driven by crates/spotplan-cli/tests/sdk_conformance.rs (cargo feature `sdk-conformance`), run with the virtualenv
made from tests/sdk/requirements.txt:

    capture_order.py --client-token TOKEN [--alibaba-sdk tea|legacy] < order.json

reads one SpotOrder JSON (schemas/spot-order.schema.json) on stdin and prints one JSON object on stdout:

    {"method", "path", "query": [[name, value]...] (decoded, in order), "raw_query",
     "headers": {lower-case name: value}, "body" (text), "sdk"}

The order is rebuilt here from the order JSON with each SDK's own typed models, independently of the Rust request
builder: Alibaba `alibabacloud_ecs20140526` (`RunInstancesRequest` + `RunInstancesRequestSystemDisk/DataDisk/Tag`),
Tencent `tencentcloud-sdk-python-cvm` (`RunInstancesRequest` and its nested models), Baidu `bce-python-sdk`
(`BccClient.create_instance_of_bid` with `CreateCdsModel`/`TagModel`). Each client's endpoint is pointed at an
HTTP server on 127.0.0.1 that records the request and answers with a plausible success response for that cloud, so
no SDK retries. Credentials are fake. The client token is passed explicitly (the order's own wins, as in
`build_order_request`). Baidu's SDK encrypts `adminPass` with the secret key, so that value differs from Spotplan's
placeholder by design; the Rust side compares its presence only.

`Recorder` and `only_request` are also used by run_snippet.py. `--alibaba-sdk legacy` sends an Alibaba order
through the legacy generation instead (aliyun-python-sdk-ecs on aliyun-python-sdk-core, RPC signature 1.0, whose
signing parameters travel in the query).
"""

import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

# Fake credentials, read from the variables the snippets read so that a snippet run with the same environment signs
# and (Baidu) encrypts with the same keys. Requests only ever go to 127.0.0.1.
FAKE_CREDENTIALS = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tFakeKeyForSpotplanTests",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "fakeAlibabaSecretForSpotplanTests1",
    "TENCENTCLOUD_SECRET_ID": "AKIDFakeSecretIdForSpotplanTests00",
    "TENCENTCLOUD_SECRET_KEY": "fakeTencentSecretKeyForSpotplanTest",
    "BCE_ACCESS_KEY_ID": "fakebceaccesskeyid0000000000000000",
    "BCE_SECRET_ACCESS_KEY": "fakebcesecretkey00000000000000000",
}


def fake_credential(name):
    return os.environ.get(name) or FAKE_CREDENTIALS[name]


# Plausible success answers, so that each SDK parses the response and does not retry.
RESPONSES = {
    "alibaba": {
        "RequestId": "473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E",
        "InstanceIdSets": {"InstanceIdSet": ["i-bp67acfmxazb4ph****"]},
        "TradePrice": 0.2,
    },
    "tencent": {
        "Response": {
            "InstanceIdSet": ["ins-1vbe3a2p"],
            "RequestId": "a4b3e5c1-2b7f-4c0e-9a7d-1f0c3b9d8e21",
        }
    },
    "baidu": {"orderId": "bid-order-0001", "instanceIds": ["i-spotplan1"]},
}


class Recorder:
    """An HTTP server on 127.0.0.1 that records every request and answers with the cloud's success JSON."""

    def __init__(self, cloud):
        self.requests = []
        response = json.dumps(RESPONSES[cloud]).encode("utf-8")
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _record_and_answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append(
                    {
                        "method": self.command,
                        "target": self.path,
                        "headers": [(name, value) for name, value in self.headers.items()],
                        "body": body,
                    }
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(response)))
                self.send_header("x-bce-request-id", "5b0c7f5e-0000-4000-8000-000000000001")
                self.end_headers()
                self.wfile.write(response)

            do_GET = _record_and_answer
            do_POST = _record_and_answer
            do_PUT = _record_and_answer

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()


def wire_record(recorded):
    """The printed form of one recorded request. The query is decoded with form semantics (`+` is a space), as the
    clouds' servers read it; `raw_query` keeps the bytes as sent."""
    parts = urlsplit(recorded["target"])
    return {
        "method": recorded["method"],
        "path": parts.path,
        "query": [[name, value] for name, value in parse_qsl(parts.query, keep_blank_values=True)],
        "raw_query": parts.query,
        "headers": {name.lower(): value for name, value in recorded["headers"]},
        "body": recorded["body"].decode("utf-8"),
    }


def only_request(recorder):
    if len(recorder.requests) != 1:
        raise AssertionError(f"expected exactly one request to the recorder, got {len(recorder.requests)}")
    return wire_record(recorder.requests[0])


# ---------------------------------------------------------------------------------------------------------------
# Alibaba: alibabacloud_ecs20140526 (Tea SDK), RunInstances.


def send_alibaba(order, client_token, recorder):
    from alibabacloud_ecs20140526 import models as ecs
    from alibabacloud_ecs20140526.client import Client
    from alibabacloud_tea_openapi import utils_models as open_api_models

    config = open_api_models.Config(
        access_key_id=fake_credential("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        access_key_secret=fake_credential("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        region_id=order["region"],
        endpoint=recorder.host,
        protocol="http",
    )
    client = Client(config)
    bid = order["bid"]
    network = order.get("network") or {}
    login = order.get("login") or {}
    request = ecs.RunInstancesRequest(
        region_id=order["region"],
        zone_id=order.get("zone"),
        instance_type=order.get("instance_type"),
        image_id=order["image_id"],
        instance_charge_type="PostPaid",
        amount=order["count"],
        min_amount=order.get("min_count"),
        v_switch_id=network.get("subnet_id"),
        internet_max_bandwidth_out=network.get("bandwidth_mbps"),
        internet_charge_type=network.get("internet_charge_type"),
        key_pair_name=login.get("key_pair"),
        password=login.get("password"),
        instance_name=order.get("name"),
        host_name=order.get("hostname"),
        user_data=order.get("user_data"),
        auto_release_time=order.get("auto_release_time"),
        client_token=order.get("client_token") or client_token,
    )
    if bid.get("mode", "market") == "limit":
        request.spot_strategy = "SpotWithPriceLimit"
        if bid.get("max_price") is not None:
            # The model types SpotPriceLimit as a float.
            request.spot_price_limit = float(bid["max_price"])
    else:
        request.spot_strategy = "SpotAsPriceGo"
    if bid.get("spot_duration_hours") is not None:
        request.spot_duration = bid["spot_duration_hours"]
    if bid.get("interruption_behavior") is not None:
        request.spot_interruption_behavior = bid["interruption_behavior"]
    groups = network.get("security_group_ids") or []
    if len(groups) == 1:
        request.security_group_id = groups[0]
    elif groups:
        request.security_group_ids = list(groups)
    disk = order.get("system_disk")
    if disk is not None:
        # The model types the system disk size as a string, the data disk size as an int.
        size = disk.get("size_gb")
        request.system_disk = ecs.RunInstancesRequestSystemDisk(
            category=disk.get("category"),
            size=None if size is None else str(size),
        )
    if order.get("data_disks"):
        request.data_disk = [
            ecs.RunInstancesRequestDataDisk(category=disk.get("category"), size=disk.get("size_gb"))
            for disk in order["data_disks"]
        ]
    if order.get("tags"):
        request.tag = [ecs.RunInstancesRequestTag(key=tag["key"], value=tag.get("value", "")) for tag in order["tags"]]
    if order.get("deletion_protection"):
        request.deletion_protection = True
    if order.get("dry_run"):
        request.dry_run = True
    client.run_instances(request)
    return only_request(recorder)


def send_alibaba_legacy(order, client_token, recorder):
    """The same order through the legacy generation, aliyun-python-sdk-ecs on aliyun-python-sdk-core (RPC
    signature 1.0: the signing parameters travel in the query)."""
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkecs.request.v20140526.RunInstancesRequest import RunInstancesRequest

    client = AcsClient(
        fake_credential("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        fake_credential("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        order["region"],
        auto_retry=False,
    )
    bid = order["bid"]
    network = order.get("network") or {}
    login = order.get("login") or {}
    request = RunInstancesRequest()
    request.set_endpoint(recorder.host)
    request.set_protocol_type("http")
    setters = [
        (request.set_ZoneId, order.get("zone")),
        (request.set_InstanceType, order.get("instance_type")),
        (request.set_ImageId, order["image_id"]),
        (request.set_InstanceChargeType, "PostPaid"),
        (request.set_Amount, order["count"]),
        (request.set_MinAmount, order.get("min_count")),
        (request.set_VSwitchId, network.get("subnet_id")),
        (request.set_InternetMaxBandwidthOut, network.get("bandwidth_mbps")),
        (request.set_InternetChargeType, network.get("internet_charge_type")),
        (request.set_KeyPairName, login.get("key_pair")),
        (request.set_Password, login.get("password")),
        (request.set_InstanceName, order.get("name")),
        (request.set_HostName, order.get("hostname")),
        (request.set_UserData, order.get("user_data")),
        (request.set_AutoReleaseTime, order.get("auto_release_time")),
        (request.set_SpotDuration, bid.get("spot_duration_hours")),
        (request.set_SpotInterruptionBehavior, bid.get("interruption_behavior")),
        (request.set_ClientToken, order.get("client_token") or client_token),
    ]
    for setter, value in setters:
        if value is not None:
            setter(value)
    if bid.get("mode", "market") == "limit":
        request.set_SpotStrategy("SpotWithPriceLimit")
        if bid.get("max_price") is not None:
            request.set_SpotPriceLimit(float(bid["max_price"]))
    else:
        request.set_SpotStrategy("SpotAsPriceGo")
    groups = network.get("security_group_ids") or []
    if len(groups) == 1:
        request.set_SecurityGroupId(groups[0])
    elif groups:
        request.set_SecurityGroupIdss(list(groups))
    disk = order.get("system_disk") or {}
    if disk.get("category") is not None:
        request.set_SystemDiskCategory(disk["category"])
    if disk.get("size_gb") is not None:
        request.set_SystemDiskSize(str(disk["size_gb"]))
    if order.get("data_disks"):
        disks = []
        for disk in order["data_disks"]:
            item = {}
            if disk.get("size_gb") is not None:
                item["Size"] = disk["size_gb"]
            if disk.get("category") is not None:
                item["Category"] = disk["category"]
            disks.append(item)
        request.set_DataDisks(disks)
    if order.get("tags"):
        request.set_Tags([{"Key": tag["key"], "Value": tag.get("value", "")} for tag in order["tags"]])
    if order.get("deletion_protection"):
        request.set_DeletionProtection(True)
    if order.get("dry_run"):
        request.set_DryRun(True)
    client.do_action_with_exception(request)
    return only_request(recorder)


# ---------------------------------------------------------------------------------------------------------------
# Tencent: tencentcloud-sdk-python-cvm, RunInstances (TC3, JSON body).


def send_tencent(order, client_token, recorder):
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.cvm.v20170312 import cvm_client, models

    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=recorder.host))
    secret = credential.Credential(fake_credential("TENCENTCLOUD_SECRET_ID"), fake_credential("TENCENTCLOUD_SECRET_KEY"))
    client = cvm_client.CvmClient(secret, order["region"], profile)
    bid = order["bid"]
    network = order.get("network") or {}
    login = order.get("login") or {}
    request = models.RunInstancesRequest()
    request.InstanceChargeType = "SPOTPAID"
    if bid.get("mode", "market") == "limit":
        spot = models.SpotMarketOptions()
        spot.MaxPrice = bid.get("max_price")
        spot.SpotInstanceType = "one-time"
        market = models.InstanceMarketOptionsRequest()
        market.MarketType = "spot"
        market.SpotOptions = spot
        request.InstanceMarketOptions = market
    if order.get("zone") is not None:
        placement = models.Placement()
        placement.Zone = order["zone"]
        request.Placement = placement
    request.InstanceType = order.get("instance_type")
    request.ImageId = order["image_id"]
    request.InstanceCount = order["count"]
    request.MinCount = order.get("min_count")
    if network.get("vpc_id") is not None or network.get("subnet_id") is not None:
        vpc = models.VirtualPrivateCloud()
        vpc.VpcId = network.get("vpc_id")
        vpc.SubnetId = network.get("subnet_id")
        request.VirtualPrivateCloud = vpc
    if network.get("security_group_ids"):
        request.SecurityGroupIds = list(network["security_group_ids"])
    if network.get("bandwidth_mbps") is not None or network.get("internet_charge_type") is not None:
        internet = models.InternetAccessible()
        internet.InternetChargeType = network.get("internet_charge_type")
        bandwidth = network.get("bandwidth_mbps")
        if bandwidth is not None:
            internet.InternetMaxBandwidthOut = bandwidth
            internet.PublicIpAssigned = bandwidth > 0
        request.InternetAccessible = internet
    disk = order.get("system_disk")
    if disk is not None:
        system_disk = models.SystemDisk()
        system_disk.DiskType = disk.get("category")
        system_disk.DiskSize = disk.get("size_gb")
        request.SystemDisk = system_disk
    if order.get("data_disks"):
        data_disks = []
        for disk in order["data_disks"]:
            data_disk = models.DataDisk()
            data_disk.DiskType = disk.get("category")
            data_disk.DiskSize = disk.get("size_gb")
            data_disks.append(data_disk)
        request.DataDisks = data_disks
    if login.get("password") is not None or login.get("key_pair") is not None:
        settings = models.LoginSettings()
        settings.Password = login.get("password")
        if login.get("key_pair") is not None:
            settings.KeyIds = [login["key_pair"]]
        request.LoginSettings = settings
    request.InstanceName = order.get("name")
    request.HostName = order.get("hostname")
    if order.get("tags"):
        tags = []
        for item in order["tags"]:
            tag = models.Tag()
            tag.Key = item["key"]
            tag.Value = item.get("value", "")
            tags.append(tag)
        specification = models.TagSpecification()
        specification.ResourceType = "instance"
        specification.Tags = tags
        request.TagSpecification = [specification]
    request.UserData = order.get("user_data")
    if order.get("deletion_protection"):
        request.DisableApiTermination = True
    if order.get("dry_run"):
        request.DryRun = True
    request.ClientToken = order.get("client_token") or client_token
    client.RunInstances(request)
    return only_request(recorder)


# ---------------------------------------------------------------------------------------------------------------
# Baidu: bce-python-sdk, BccClient.create_instance_of_bid (POST /v2/instance/bid).


def send_baidu(order, client_token, recorder):
    from baidubce.auth.bce_credentials import BceCredentials
    from baidubce.bce_client_configuration import BceClientConfiguration
    from baidubce.services.bcc import bcc_client, bcc_model

    config = BceClientConfiguration(
        credentials=BceCredentials(fake_credential("BCE_ACCESS_KEY_ID"), fake_credential("BCE_SECRET_ACCESS_KEY")),
        endpoint=f"http://{recorder.host}",
    )
    client = bcc_client.BccClient(config)
    bid = order["bid"]
    network = order.get("network") or {}
    login = order.get("login") or {}
    shape = order.get("baidu") or {}
    cpu_count, memory_gb = baidu_shape(shape)
    kwargs = {
        "cpu_count": cpu_count,
        "memory_capacity_in_gb": memory_gb,
        "image_id": order["image_id"],
        "purchase_count": order["count"],
        "client_token": order.get("client_token") or client_token,
    }
    optional = {
        "instance_type": order.get("instance_type"),
        "spec": shape.get("spec"),
        "isomerism_card": shape.get("isomerism_card"),
        "network_capacity_in_mbps": network.get("bandwidth_mbps"),
        "internet_charge_type": network.get("internet_charge_type"),
        "name": order.get("name"),
        "hostname": order.get("hostname"),
        "admin_pass": login.get("password"),
        "zone_name": order.get("zone"),
        "subnet_id": network.get("subnet_id"),
        "key_pair_id": login.get("key_pair"),
        "user_data": order.get("user_data"),
    }
    kwargs.update({name: value for name, value in optional.items() if value is not None})
    if bid.get("mode", "market") == "limit":
        kwargs["bid_model"] = "custom"
        if bid.get("max_price") is not None:
            kwargs["bid_price"] = bid["max_price"]
    else:
        kwargs["bid_model"] = "market"
    disk = order.get("system_disk") or {}
    if disk.get("size_gb") is not None:
        kwargs["root_disk_size_in_gb"] = disk["size_gb"]
    if disk.get("category") is not None:
        kwargs["root_disk_storage_type"] = disk["category"]
    if order.get("data_disks"):
        # The order's disks are each instance's; Baidu splits create_cds_list among the instances ("Cds count must be
        # multiple number of Instance count"), so the list holds every instance's disks.
        cds = []
        for _ in range(order["count"]):
            for disk in order["data_disks"]:
                model = bcc_model.CreateCdsModel(cdsSizeInGB=disk.get("size_gb"))
                if disk.get("category") is not None:
                    model.storageType = disk["category"]
                cds.append(model)
        kwargs["create_cds_list"] = cds
    groups = network.get("security_group_ids") or []
    if len(groups) == 1:
        kwargs["security_group_id"] = groups[0]
    elif groups:
        kwargs["security_group_ids"] = list(groups)
    if order.get("tags"):
        kwargs["tags"] = [bcc_model.TagModel(tagKey=tag["key"], tagValue=tag.get("value", "")) for tag in order["tags"]]
    if order.get("deletion_protection"):
        kwargs["deletion_protection"] = 1
    client.create_instance_of_bid(**kwargs)
    return only_request(recorder)


# Spotplan's Baidu specs name the shape as `bcc.<family>.c<cpu>m<memory>`; the order may also give both numbers.
def baidu_shape(shape):
    cpu, memory = shape.get("cpu_count"), shape.get("memory_gb")
    spec = shape.get("spec")
    if (cpu is None or memory is None) and spec:
        # The size part is c<vCPU>m<GB> (bcc.g5.c2m8, bcc.lgn1.c12m40.1p40).
        for part in spec.split(".")[2:3]:
            if part.startswith("c") and "m" in part:
                spec_cpu, spec_memory = part[1:].split("m", 1)
                cpu = int(spec_cpu) if cpu is None else cpu
                memory = int(spec_memory) if memory is None else memory
    if cpu is None or memory is None:
        raise ValueError(f"cannot tell the Baidu cpu count and memory from {shape!r}")
    return cpu, memory


SENDERS = {"alibaba": send_alibaba, "tencent": send_tencent, "baidu": send_baidu}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client-token", required=True, help="the client token of BuildOptions")
    parser.add_argument(
        "--alibaba-sdk",
        choices=["tea", "legacy"],
        default="tea",
        help="alibabacloud_ecs20140526 (tea, the default) or aliyun-python-sdk-ecs (legacy)",
    )
    args = parser.parse_args()
    order = json.load(sys.stdin)
    cloud = order["cloud"]
    sender = SENDERS[cloud]
    sdk = cloud
    if cloud == "alibaba" and args.alibaba_sdk == "legacy":
        sender, sdk = send_alibaba_legacy, "alibaba-legacy"
    with Recorder(cloud) as recorder:
        record = sender(order, args.client_token, recorder)
    record["sdk"] = sdk
    json.dump(record, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
