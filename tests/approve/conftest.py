from tests.account.conftest import moto, moto_url
from tests.slack.conftest import fake_slack

__all__ = ["fake_slack", "moto", "moto_url"]
