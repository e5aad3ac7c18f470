from tests.account.conftest import moto, moto_url
from tests.fixes.analyzer_fake import analyzer

__all__ = ["analyzer", "moto", "moto_url"]
