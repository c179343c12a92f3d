"""English and Spanish words for what students, families and teams read.

    t("My learning targets", "es") -> "Mis metas de aprendizaje"
Unknown phrases come back as given, so a missing translation shows English, not an error.
"""
from __future__ import annotations

LANGUAGES = ("en", "es")

ES = {
    "My learning targets": "Mis metas de aprendizaje",
    "What I mastered this cycle": "Lo que dominé en este ciclo",
    "My next target": "Mi próxima meta",
    "Targets I am practicing": "Metas que estoy practicando",
    "Targets I have shown": "Metas que he demostrado",
    "Targets I will learn next": "Metas que aprenderé después",
    "I mastered everything on my continuum!": "¡Dominé todas las metas de mi continuo!",
    "Nothing new yet this cycle: keep practicing.": "Nada nuevo todavía en este ciclo: sigue practicando.",
    "Questions to talk about with my family": "Preguntas para hablar con mi familia",
    "What am I proud of?": "¿De qué estoy orgulloso u orgullosa?",
    "What will I work on next, and how?": "¿En qué trabajaré después y cómo?",
    "How can my family help?": "¿Cómo puede ayudarme mi familia?",
    "i-learn": "aprendo (i-learn)",
    "i-practice": "practico (i-practice)",
    "i-show": "demuestro (i-show)",
    "not started": "sin empezar",
    "level": "nivel",
    "scores": "calificaciones",
    "latest": "última",
    "students": "estudiantes",
    "Data wall": "Muro de datos",
    "Where students are, target by target": "Dónde están los estudiantes, meta por meta",
    "math": "matemáticas",
    "ela": "lectura y escritura",
    "Cycle": "Ciclo",
    "Grade": "Grado",
    "targets mastered": "metas dominadas",
    "of": "de",
    "Student-led conference": "Conferencia dirigida por el estudiante",
    "Each square is one of my learning targets, in the order we learn them.":
        "Cada cuadro es una de mis metas de aprendizaje, en el orden en que las aprendemos.",
}


def t(phrase: str, language: str = "en") -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}; got {language!r}")
    return ES.get(phrase, phrase) if language == "es" else phrase
