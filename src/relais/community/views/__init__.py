"""Entraide, the HTML screens: each view parses its input, asks the policy, calls one service
and renders. An object the viewer may not see is a 404 (the selectors); a visible object the
viewer may not act on is a 403; bad input re-renders the form with what was typed.

Split by screen (lists, detail, posts, following, moderation, history, desk, members);
urls.py names the views through this package."""

from relais.community.views.desk import answer_to_article, question_to_ticket
from relais.community.views.detail import question_detail
from relais.community.views.following import follow, notifications, tag_follow
from relais.community.views.history import answer_history, question_history
from relais.community.views.lists import question_list
from relais.community.views.members import join, leaderboard, member_profile
from relais.community.views.moderation import (
    close_duplicate,
    flag,
    flag_decide,
    moderate,
    moderation_queue,
)
from relais.community.views.posts import (
    answer_accept,
    answer_create,
    answer_edit,
    comment_create,
    question_ask,
    question_edit,
    vote,
)

__all__ = [
    "answer_accept",
    "answer_create",
    "answer_edit",
    "answer_history",
    "answer_to_article",
    "close_duplicate",
    "comment_create",
    "flag",
    "flag_decide",
    "follow",
    "join",
    "leaderboard",
    "member_profile",
    "moderate",
    "moderation_queue",
    "notifications",
    "question_ask",
    "question_detail",
    "question_edit",
    "question_history",
    "question_list",
    "question_to_ticket",
    "tag_follow",
    "vote",
]
