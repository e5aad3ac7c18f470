from tests.account.conftest import moto, moto_url

__all__ = ["moto", "moto_url"]
