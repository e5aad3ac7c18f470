"""Error codes as SDKs write them into class names (issue 21)."""

from __future__ import annotations

import pytest

from bot.parse import parse_text

PHP_V2_CLASSES = [
    ("AccessDenied", "PHP Fatal error:  Uncaught Aws\\S3\\Exception\\AccessDeniedException: Access Denied in /srv/app/vendor/aws/aws-sdk-php/src/Aws/Common/Exception/NamespaceExceptionFactory.php:91"),
    ("InvalidAccessKeyId", "Whoops, looks like something went wrong.\nAws \\ S3 \\ Exception \\ InvalidAccessKeyIdException\n403 Forbidden"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "text"), PHP_V2_CLASSES, ids=[c for c, _ in PHP_V2_CLASSES])
def test_php_v2s_s3_exception_class_is_the_code_with_exception_appended(code: str, text: str) -> None:
    (request,) = parse_text(text).requests
    assert request.error_code == code


def test_php_v2s_base_s3_exception_names_no_code() -> None:
    (request,) = parse_text("Aws\\S3\\Exception\\S3Exception: Access Denied").requests
    assert request.error_code == "AccessDenied"  # from S3's message, not the base class's name
