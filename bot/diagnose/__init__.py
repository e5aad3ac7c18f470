"""The layered diagnosis of a denied S3 request (`s3why diagnose`)."""

from bot.diagnose.core import DiagnoseOptions, diagnose
from bot.diagnose.model import Diagnosis, LayerReport, RootCause

__all__ = ["DiagnoseOptions", "Diagnosis", "LayerReport", "RootCause", "diagnose"]
