from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Dead letter")


class OutboxKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class AuditAction(models.TextChoices):
    LOGIN_SUCCESS = "login.success", _("Login")
    LOGIN_FAILURE = "login.failure", _("Failed login")
    LOGIN_LOCKOUT = "login.lockout", _("Account locked after failed logins")
    LOGOUT = "logout", _("Logout")
    PASSWORD_CHANGE = "password.change", _("Password changed")
    PASSWORD_RESET_REQUEST = "password.reset_request", _("Password reset requested")
    USER_CREATE = "user.create", _("User created")
    USER_UPDATE = "user.update", _("User updated")
    ROLE_CHANGE = "user.role_change", _("Role changed")
    PERMISSION_CHANGE = "user.permission_change", _("Permission granted or withdrawn")
    ARCHIVE_READ = "archive.read", _("Archived ticket read")
    USER_DEACTIVATE = "user.deactivate", _("User deactivated")
    TOKEN_CREATE = "token.create", _("API token created")
    TOKEN_REVOKE = "token.revoke", _("API token revoked")
    OUTBOX_DEAD = "outbox.dead", _("Outbox message dead-lettered")
    OUTBOX_RETRY = "outbox.retry", _("Outbox message requeued")
    COMMUNITY_MODERATION = "community.moderation", _("Peer-help moderation")
    ASSET_CHANGE = "asset.change", _("Asset changed")
    ASSET_IMPORT = "asset.import", _("Assets imported")
    MONITORING_CONFIG = "monitoring.config", _("Monitoring configuration changed")
    SECRET_CHANGE = "secret.change", _("Secret changed")
    MAILBOX_CHANGE = "mailbox.change", _("Mailbox settings changed")
    MAIL_QUARANTINE = "mail.quarantine", _("Inbound e-mail released or discarded")
    OTP_ENROL = "otp.enrol", _("Second factor enrolled")
    OTP_FAILURE = "otp.failure", _("Failed second-factor code")
    OTP_RECOVERY_USED = "otp.recovery_used", _("Recovery code used")
    OTP_RESET = "otp.reset", _("Second factor reset")
    DIRECTORY_SYNC = "directory.sync", _("Directory synchronised")
    PERSONAL_DATA_EXPORT = "privacy.export", _("Personal data exported")
    PERSONAL_DATA_ERASE = "privacy.erase", _("Personal data erased (pseudonymised)")
    ADMIN_CHANGE = "admin.change", _("Changed in the administration")
    AUDIT_PURGE = "audit.purge", _("Security log entries purged (retention)")
