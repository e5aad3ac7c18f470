"""The emulated AWS (moto in server mode) and the iam-toolbox fake for the corner and record tests."""

from __future__ import annotations

from tests.account.conftest import moto, moto_url
from tests.account.toolbox_fake import toolbox

__all__ = ["moto", "moto_url", "toolbox"]
