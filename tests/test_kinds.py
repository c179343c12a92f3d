"""Category titles -> evidence kinds: the default word map and a district file."""
import pytest

from coachkit.errors import CoachkitDataError
from coachkit.io.kinds import CategoryKinds, read_kind_map, title_words


@pytest.mark.parametrize("title, kind", [
    ("Summative Assessments", "summative"), ("Unit Tests", "summative"),
    ("Tests & Quizzes", "summative"), ("Summative(SA)", "summative"), ("FINAL EXAM", "summative"),
    ("Unit 3 Test Retake", "retake"), ("Reassessments", "retake"), ("Self-Assessment", "self"),
    ("Quizzes", "formative"), ("Homework/Practice", "formative"), ("Checks for Understanding", "formative"),
    ("Teacher Observations", "observation"), ("Participation", "formative"), ("", "formative"),
])
def test_default_word_map(title, kind):
    assert CategoryKinds().kind(title) == kind


def test_titles_fold_case_punctuation_and_plurals():
    assert title_words("Tests & Quizzes") == "test quiz"
    assert title_words("Summative(SA)") == "summative sa"


def test_describe_says_why():
    k = CategoryKinds()
    k.kind("Unit Tests")
    k.kind("Participation")
    text = k.describe()
    assert "'Unit Tests' -> summative (word 'test')" in text
    assert "'Participation' -> formative (no kind word" in text


def test_district_file_wins(tmp_path):
    f = tmp_path / "kinds.csv"
    f.write_text("category,kind\nUnit Tests,formative\nParticipation,observation\n")
    k = CategoryKinds(read_kind_map(f), source=str(f))
    assert k.kind("unit tests!") == "formative" and k.kind("Participation") == "observation"
    assert k.kind("Quizzes") == "formative"
    y = tmp_path / "kinds.yaml"
    y.write_text("Benchmarks: summative\n")
    assert CategoryKinds(read_kind_map(y)).kind("benchmark") == "summative"
    f.write_text("title,kind\nx,summative\n")
    with pytest.raises(CoachkitDataError, match="expected the columns category,kind"):
        read_kind_map(f)
