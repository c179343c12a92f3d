"""A math and an ELA continuum per grade, with standard codes and statements in the
shape of the Common Core-aligned Arizona standards (3.OA.A.1, RL.3.2, HSA-SSE.A.1 …)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import grade_label

GRADE_LABEL = {0: "K"}

MATH_DOMAINS = {
    "CC": ("Counting and Cardinality", ["Count to 100 by ones and by tens",
           "Count forward beginning from a given number", "Write numbers from 0 to 20",
           "Compare two numbers between 1 and 10"]),
    "OA": ("Operations and Algebraic Thinking", [
           "Represent addition and subtraction with objects and equations",
           "Solve word problems using addition and subtraction within {n}",
           "Apply properties of operations as strategies to add and subtract",
           "Interpret products of whole numbers as equal groups",
           "Determine the unknown number in a multiplication or division equation",
           "Solve two-step word problems using the four operations",
           "Identify arithmetic patterns and explain them using properties of operations"]),
    "NBT": ("Number and Operations in Base Ten", [
            "Understand place value for numbers to {n}",
            "Use place value understanding to round whole numbers",
            "Fluently add and subtract within {n} using strategies",
            "Multiply one-digit numbers by multiples of 10",
            "Read, write and compare decimals to thousandths"]),
    "NF": ("Number and Operations: Fractions", [
           "Understand a fraction 1/b as one part of a whole partitioned into b equal parts",
           "Place fractions on a number line", "Explain equivalence of fractions",
           "Compare two fractions with different numerators and denominators",
           "Add and subtract fractions with unlike denominators",
           "Multiply a fraction by a whole number"]),
    "MD": ("Measurement and Data", [
           "Tell and write time to the nearest minute", "Measure lengths in standard units",
           "Solve problems involving money", "Represent data in picture and bar graphs",
           "Understand concepts of area measurement", "Relate area to multiplication",
           "Find the volume of a right rectangular prism"]),
    "G": ("Geometry", ["Identify and describe shapes by their attributes",
          "Partition shapes into parts with equal areas", "Classify two-dimensional figures",
          "Graph points on the coordinate plane", "Solve problems involving area and surface area",
          "Understand congruence and similarity using transformations",
          "Apply the Pythagorean theorem"]),
    "RP": ("Ratios and Proportional Relationships", [
           "Understand the concept of a ratio", "Use unit rates to solve problems",
           "Recognize proportional relationships in tables and graphs",
           "Solve percent problems"]),
    "NS": ("The Number System", ["Divide fractions by fractions",
           "Understand rational numbers on the number line",
           "Add and subtract rational numbers", "Multiply and divide rational numbers",
           "Approximate irrational numbers with rational numbers"]),
    "EE": ("Expressions and Equations", ["Write and evaluate expressions with exponents",
           "Identify equivalent expressions", "Solve one-variable equations and inequalities",
           "Analyze and solve pairs of simultaneous linear equations",
           "Work with radicals and integer exponents"]),
    "F": ("Functions", ["Understand that a function assigns exactly one output to each input",
          "Compare properties of two functions", "Construct a function to model a linear relationship"]),
    "SP": ("Statistics and Probability", ["Recognize a statistical question",
           "Summarize numerical data sets", "Use random sampling to draw inferences",
           "Develop probability models", "Investigate patterns of association in bivariate data"]),
}
MATH_BY_GRADE = {
    0: ["CC", "OA", "NBT", "MD", "G"], 1: ["OA", "NBT", "MD", "G"], 2: ["OA", "NBT", "MD", "G"],
    3: ["OA", "NBT", "NF", "MD", "G"], 4: ["OA", "NBT", "NF", "MD", "G"],
    5: ["OA", "NBT", "NF", "MD", "G"], 6: ["RP", "NS", "EE", "G", "SP"],
    7: ["RP", "NS", "EE", "G", "SP"], 8: ["NS", "EE", "F", "G", "SP"],
}
HS_MATH = {
    9: [("A-SSE", "Interpret the structure of expressions"), ("A-CED", "Create equations that describe numbers or relationships"),
        ("A-REI", "Solve equations and inequalities in one variable"), ("F-IF", "Interpret functions that arise in applications"),
        ("F-BF", "Build a function that models a relationship")],
    10: [("G-CO", "Experiment with transformations in the plane"), ("G-SRT", "Prove theorems involving similarity"),
         ("G-C", "Understand and apply theorems about circles"), ("G-GPE", "Use coordinates to prove simple geometric theorems"),
         ("G-GMD", "Explain volume formulas and use them to solve problems")],
    11: [("N-CN", "Perform arithmetic operations with complex numbers"), ("A-APR", "Perform arithmetic operations on polynomials"),
         ("F-TF", "Extend the domain of trigonometric functions using the unit circle"), ("F-LE", "Construct and compare linear, quadratic and exponential models"),
         ("S-ID", "Summarize, represent and interpret data")],
    12: [("S-IC", "Make inferences and justify conclusions from sample surveys"), ("S-CP", "Understand independence and conditional probability"),
         ("F-IF", "Analyze functions using different representations"), ("A-REI", "Solve systems of equations"),
         ("N-VM", "Represent and model with vector quantities")],
}
ELA_STRANDS = {
    "RL": ("Reading Literature", [
           "Ask and answer questions to show understanding of a text",
           "Determine the theme or central message of a story", "Describe how characters respond to events",
           "Determine the meaning of words and phrases as they are used in a text",
           "Explain how parts of a story build on earlier sections", "Distinguish their own point of view from the narrator's",
           "Compare and contrast stories by the same author"]),
    "RI": ("Reading Informational Text", [
           "Determine the main idea of a text and explain how key details support it",
           "Describe the relationship between events, ideas or concepts", "Use text features to locate information",
           "Explain how an author uses reasons and evidence", "Integrate information from two texts on the same topic"]),
    "RF": ("Foundational Skills", ["Know and apply grade-level phonics and word analysis skills",
           "Read with sufficient accuracy and fluency to support comprehension",
           "Decode multisyllable words"]),
    "W": ("Writing", ["Write opinion pieces supporting a point of view with reasons",
          "Write informative texts that convey ideas clearly", "Write narratives using descriptive details",
          "Produce writing in which the organization is appropriate to task and purpose",
          "Conduct short research projects"]),
    "SL": ("Speaking and Listening", ["Engage effectively in collaborative discussions",
           "Report on a topic with appropriate facts and details", "Ask and answer questions about what a speaker says"]),
    "L": ("Language", ["Demonstrate command of the conventions of standard English grammar",
          "Use capitalization, punctuation and spelling correctly", "Determine the meaning of unknown words using context",
          "Demonstrate understanding of figurative language"]),
}
ELA_BY_GRADE = {g: ["RF", "RL", "RI", "W", "SL", "L"] if g <= 5 else ["RL", "RI", "W", "SL", "L"]
                for g in range(13)}
SUBJECT_PREFIX = {"math": "MA", "ela": "EL"}


def _within(grade: int) -> str:
    return {0: "10", 1: "20", 2: "100", 3: "1000"}.get(grade, "1,000,000")


def _math_rows(grade: int, rng: np.random.Generator, n: int):
    rows = []
    if grade <= 8:
        g = grade_label(grade)
        domains = MATH_BY_GRADE[grade]
        for i in range(n):
            dom = domains[i * len(domains) // n]
            name, stmts = MATH_DOMAINS[dom]
            k = sum(1 for r in rows if r["domain"] == dom)
            cluster = "ABCD"[min(k // 3, 3)]
            rows.append(dict(domain=dom, unit=name, code=f"{g}.{dom}.{cluster}.{k % 3 + 1}",
                             statement=stmts[k % len(stmts)].format(n=_within(grade))))
    else:
        domains = HS_MATH[grade]
        for i in range(n):
            dom, stmt = domains[i * len(domains) // n]
            k = sum(1 for r in rows if r["domain"] == dom)
            cluster = "ABC"[min(k // 2, 2)]
            rows.append(dict(domain=dom, unit=stmt, code=f"HS{dom}.{cluster}.{k % 2 + 1}",
                             statement=f"{stmt} (part {k + 1})"))
    return rows


def _ela_rows(grade: int, rng: np.random.Generator, n: int):
    g = grade_label(grade) if grade <= 8 else ("9-10" if grade <= 10 else "11-12")
    strands = ELA_BY_GRADE[grade]
    rows = []
    for i in range(n):
        strand = strands[i * len(strands) // n]
        name, stmts = ELA_STRANDS[strand]
        k = sum(1 for r in rows if r["domain"] == strand)
        rows.append(dict(domain=strand, unit=name, code=f"{strand}.{g}.{k + 1}",
                         statement=stmts[k % len(stmts)]))
    return rows


def make_targets(rng: np.random.Generator) -> pd.DataFrame:
    """20–40 targets per grade and subject, ordered by sequence, grouped into units."""
    out = []
    for subject, maker in (("math", _math_rows), ("ela", _ela_rows)):
        for grade in range(13):
            n = int(rng.integers(22, 31))
            for seq, row in enumerate(maker(grade, rng, n), start=1):
                out.append(dict(
                    target_id=f"{SUBJECT_PREFIX[subject]}{grade:02d}-{seq:02d}",
                    subject=subject, grade=grade, sequence=seq,
                    unit=f"Unit {row['domain']}: {row['unit']}", code=row["code"],
                    statement=row["statement"],
                    portrait_attribute=["Critical thinker", "Communicator", "Problem solver",
                                        "Self-directed learner"][seq % 4]))
    return pd.DataFrame(out)
