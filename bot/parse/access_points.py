"""Access points, their aliases and Multi-Region Access Points wherever a text names them.

Every form AWS documents for reaching a bucket through an access point (S3 User Guide, "Referencing access points
with ARNs, access point aliases, or virtual-hosted-style URIs"; "Making requests through a Multi-Region Access
Point"; "General purpose bucket naming rules" for the reserved alias suffixes):

- access point ARN `arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME[/object/KEY]` (Object Lambda:
  `arn:PARTITION:s3-object-lambda:...`);
- Multi-Region Access Point ARN `arn:PARTITION:s3::ACCOUNT:accesspoint/ALIAS.mrap[/object/KEY]` (no region);
- an alias in a bucket's place: "Must not end with the suffix -s3alias. This suffix is reserved for access point
  alias names", `--ol-s3` for Object Lambda Access Point aliases, `--op-s3` for S3 on Outposts access points;
- hosts: `NAME-ACCOUNT.s3-accesspoint.REGION.amazonaws.com` and `ALIAS.accesspoint.s3-global.amazonaws.com`
  (the Multi-Region Access Point's global endpoint; its alias ends in `.mrap`).

Pure functions over strings; bot/parse/extract.py calls them where a bucket or resource is found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class AccessPointKind(StrEnum):
    ACCESS_POINT = "access-point"
    OBJECT_LAMBDA = "object-lambda-access-point"
    MULTI_REGION = "multi-region-access-point"
    ALIAS = "access-point-alias"
    OBJECT_LAMBDA_ALIAS = "object-lambda-access-point-alias"
    OUTPOSTS_ALIAS = "outposts-access-point-alias"


@dataclass(frozen=True, slots=True)
class AccessPointRef:
    """One access point as a text names it. `name` is the access point's name, an alias, or a Multi-Region Access
    Point's alias (`....mrap`); `arn` is None when the form does not carry the account (aliases, the global host)."""

    kind: AccessPointKind
    name: str
    account: str | None = None
    region: str | None = None
    arn: str | None = None
    key: str | None = None

    @property
    def resource_arn(self) -> str | None:
        """The ARN IAM evaluates: the object form for a key (`.../accesspoint/NAME/object/KEY`)."""
        if self.arn is None:
            return None
        return f"{self.arn}/object/{self.key}" if self.key else self.arn


_ARN = re.compile(
    r"^arn:(aws[a-z-]{0,20}):(s3|s3-object-lambda):([a-z0-9-]{0,30}):(\d{12}):accesspoint[/:]"
    r"([A-Za-z0-9.-]{1,63})(?:/object/(.{1,1024}))?$"
)
# Aliases are bucket-shaped (3-63 lowercase letters, digits, hyphens) with the reserved suffix.
_ALIAS_SUFFIXES = (
    ("-s3alias", AccessPointKind.ALIAS),
    ("--ol-s3", AccessPointKind.OBJECT_LAMBDA_ALIAS),
    ("--op-s3", AccessPointKind.OUTPOSTS_ALIAS),
)
_ALIAS_SHAPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_AP_HOST = re.compile(
    r"^([a-z0-9][a-z0-9-]{0,62})-(\d{12})\.s3-accesspoint(?:-fips)?(?:\.dualstack)?\.([a-z0-9-]{4,30})\."
    r"amazonaws\.com(?:\.cn)?$"
)
_MRAP_HOST = re.compile(r"^([a-z0-9]{1,63})\.mrap\.accesspoint\.s3-global\.amazonaws\.com(?:\.cn)?$")
_URL = re.compile(r"https?://([A-Za-z0-9.-]{1,253})(/[^\s\"'`<>?#]{0,2048})?")


def access_point_ref(token: str) -> AccessPointRef | None:
    """The access point a bucket-place token names (an ARN or an alias); None for a bucket name or anything else."""
    token = token.strip()
    if (m := _ARN.match(token)) is not None:
        service, region, account, name, key = m.group(2), m.group(3), m.group(4), m.group(5), m.group(6)
        base = f"arn:{m.group(1)}:{service}:{region}:{account}:accesspoint/{name}"
        if service == "s3-object-lambda":
            kind = AccessPointKind.OBJECT_LAMBDA
        elif not region and name.endswith(".mrap"):
            kind = AccessPointKind.MULTI_REGION
        else:
            kind = AccessPointKind.ACCESS_POINT
        return AccessPointRef(kind, name, account, region or None, base, key or None)
    for suffix, kind in _ALIAS_SUFFIXES:
        if token.endswith(suffix) and _ALIAS_SHAPE.match(token):
            return AccessPointRef(kind, token)
    return None


def access_point_host(host: str) -> AccessPointRef | None:
    """The access point an endpoint host names: the regional access point host carries name, account and region
    (its ARN follows); the Multi-Region Access Point's global host carries only the alias."""
    host = host.lower().rstrip(".")
    if (m := _AP_HOST.match(host)) is not None:
        name, account, region = m.group(1), m.group(2), m.group(3)
        partition = "aws-cn" if host.endswith(".cn") else "aws"
        arn = f"arn:{partition}:s3:{region}:{account}:accesspoint/{name}"
        return AccessPointRef(AccessPointKind.ACCESS_POINT, name, account, region, arn)
    if (m := _MRAP_HOST.match(host)) is not None:
        return AccessPointRef(AccessPointKind.MULTI_REGION, f"{m.group(1)}.mrap")
    return None


def access_point_in_urls(text: str) -> AccessPointRef | None:
    """The first access point endpoint a URL in `text` goes to, with the object key its path names."""
    for m in _URL.finditer(text):
        ref = access_point_host(m.group(1))
        if ref is None:
            continue
        path = (m.group(2) or "").lstrip("/")
        if path:
            return AccessPointRef(ref.kind, ref.name, ref.account, ref.region, ref.arn, path)
        return ref
    return None


def mrap_arn(account: str, alias: str, partition: str = "aws") -> str:
    """A Multi-Region Access Point's ARN: "arn:aws:s3::ACCOUNT:accesspoint/ALIAS" with ALIAS ending in `.mrap`
    (S3 User Guide, "Making requests through a Multi-Region Access Point")."""
    alias = alias if alias.endswith(".mrap") else f"{alias}.mrap"
    return f"arn:{partition}:s3::{account}:accesspoint/{alias}"
