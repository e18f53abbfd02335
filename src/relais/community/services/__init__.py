"""Every write on the peer-help community goes through these functions: keyword-only, atomic,
permission-checked through `community_policy` (PermissionDenied / ValidationError).

Split by sub-domain; every public name is re-exported here, so `from relais.community import
services` then `services.question_ask(...)` keeps working:

- members.py     joining, leaving, notification preferences
- posts.py       questions, answers, comments (edits with revisions, acceptance, duplicates)
- votes.py       votes, reputation and monthly points (the rule: relais.community.reputation),
                 badges
- notify.py      in-app and e-mail notifications, following questions and tags
- moderation.py  flags and moderation (hide, lock, close, delete; logged with a reason)
- desk.py        IT in the loop: question → ticket, answer → article, unanswered alerts
- digest.py      the weekly digest
- _common.py     limits, validation and helpers shared by the above
"""

from relais.community.reputation import (
    REPUTATION_ACCEPTED,
    REPUTATION_ANSWER_DOWN,
    REPUTATION_ANSWER_UP,
    REPUTATION_QUESTION_UP,
)
from relais.community.services._common import (
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    DIGEST_MAX_QUESTIONS,
    NEW_MEMBER_DAYS,
    NEW_MEMBER_POSTS_PER_HOUR,
    NEW_MEMBER_REPUTATION,
    TEN_ACCEPTED,
    TITLE_MAX_LENGTH,
    ConflictError,
    tags_text,
)
from relais.community.services.desk import (
    answer_to_article,
    question_to_ticket,
    questions_unanswered_alert,
)
from relais.community.services.digest import weekly_digest
from relais.community.services.members import member_join, member_leave, member_set_notifications
from relais.community.services.moderation import QUESTION_ONLY, flag_create, flag_resolve, moderate
from relais.community.services.notify import MENTION_RE, follow_set, notifications_mark_read
from relais.community.services.posts import (
    answer_accept,
    answer_edit,
    answer_post,
    answer_unaccept,
    comment_post,
    question_ask,
    question_close_duplicate,
    question_edit,
)
from relais.community.services.votes import (
    badges_award,
    helper_of_month_award,
    points_rebuild,
    points_recount,
    reputation_recompute,
    vote_cast,
)

__all__ = [
    "BODY_MAX_LENGTH",
    "COMMENT_MAX_LENGTH",
    "DIGEST_MAX_QUESTIONS",
    "MENTION_RE",
    "NEW_MEMBER_DAYS",
    "NEW_MEMBER_POSTS_PER_HOUR",
    "NEW_MEMBER_REPUTATION",
    "QUESTION_ONLY",
    "REPUTATION_ACCEPTED",
    "REPUTATION_ANSWER_DOWN",
    "REPUTATION_ANSWER_UP",
    "REPUTATION_QUESTION_UP",
    "TEN_ACCEPTED",
    "TITLE_MAX_LENGTH",
    "ConflictError",
    "answer_accept",
    "answer_edit",
    "answer_post",
    "answer_to_article",
    "answer_unaccept",
    "badges_award",
    "comment_post",
    "flag_create",
    "flag_resolve",
    "follow_set",
    "helper_of_month_award",
    "member_join",
    "member_leave",
    "member_set_notifications",
    "moderate",
    "notifications_mark_read",
    "points_rebuild",
    "points_recount",
    "question_ask",
    "question_close_duplicate",
    "question_edit",
    "question_to_ticket",
    "questions_unanswered_alert",
    "reputation_recompute",
    "tags_text",
    "vote_cast",
    "weekly_digest",
]
