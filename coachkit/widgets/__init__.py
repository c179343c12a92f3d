"""Dashboards as ipywidgets apps, for Voila and JupyterLab.

    from coachkit.widgets import principal_app, grade_meeting_app
    principal_app("sample_data/district", school="S101", cycle=6)
    grade_meeting_app("sample_data/district", classroom="S101-3A", cycle=4)
    learner_profile_app("sample_data/district", student="100001", language="es")

Each function builds the app and returns one widget; nothing is displayed until the
notebook shows it. The data and computed tables are cached per kernel (see
``coachkit.widgets.data``). ``principal_report``/``grade_meeting_report`` show the same
content as static figures (papermill). See docs/dashboards.md.
"""
from .data import resolve
from .meeting import GradeMeetingApp, db_url, grade_meeting_app, grade_meeting_report
from .page import error_box, parameters, under_voila, wait_for_request, warm
from .principal import PrincipalApp, principal_app, principal_report
from .student import LearnerProfileApp, learner_profile_app, learner_profile_report

__all__ = ["principal_app", "grade_meeting_app", "PrincipalApp", "GradeMeetingApp",
           "principal_report", "grade_meeting_report", "parameters", "warm",
           "wait_for_request", "under_voila", "db_url", "resolve", "error_box",
           "learner_profile_app", "LearnerProfileApp", "learner_profile_report"]
