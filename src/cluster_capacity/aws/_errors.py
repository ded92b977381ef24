"""botocore's errors in this package's terms: bad input a `ConfigError`, the rest an `AwsError` that keeps
AWS's error code (and names the IAM action when access was denied)."""

from __future__ import annotations

from typing import Any, Final

from cluster_capacity.errors import AwsError, ConfigError

__all__ = ["CREDENTIAL_HINT", "MAX_ATTEMPTS", "NoSuchQuota", "client_error"]

MAX_ATTEMPTS: Final = 8
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_REJECTED = {
    "AuthFailure",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}
_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "SlowDown",
}
CREDENTIAL_HINT = "(--profile, AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO or an instance role)"


class NoSuchQuota(Exception):
    """Service Quotas has no value for the code asked (NoSuchResourceException)."""


def client_error(exc: Any, action: str, region: str) -> Exception:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", "")).strip()
    if code == "NoSuchResourceException":
        return NoSuchQuota(message)
    if code in _EXPIRED:
        clock = " (or this machine's clock is wrong)" if code == "RequestExpired" else ""
        return AwsError(f"AWS credentials have expired ({code}){clock}: renew them and try again")
    if code in _REJECTED:
        return AwsError(f"AWS rejected the credentials ({code}) {CREDENTIAL_HINT}: {message}")
    if code in _DENIED:
        return AwsError(
            f"access denied: the credentials may not call {action} ({code}); grant it "
            f"(docs/aws-iam-policy.json lists every action the planner calls)"
        )
    if code in _THROTTLED:
        return AwsError(
            f"{action}: AWS is throttling requests ({code}) after {MAX_ATTEMPTS} attempts; try again later"
        )
    if code == "InvalidInstanceType":
        return ConfigError(f"{message or 'unknown instance type'} (in {region})")
    if code == "OptInRequired":
        return AwsError(f"region {region} is not enabled for this account ({code})")
    if code in ("InvalidParameterValue", "ValidationException") and "zone" in message.lower():
        return ConfigError(f"{message} (in {region})")
    return AwsError(f"{action} failed ({code}): {message}")
