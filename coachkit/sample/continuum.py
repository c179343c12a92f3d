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
# The elementary math statements in Spanish and in a student's own words (English and
# Spanish): the sample's learner profiles show them; the other targets fall back to the
# formal English statement, with the profile's friendly note.
# formal statement -> (statement_es, student_statement, student_statement_es)
MATH_WORDS = {
    "Count to 100 by ones and by tens": (
        "Contar hasta 100 de uno en uno y de diez en diez",
        "I can count to 100 by ones and by tens", "Puedo contar hasta 100 de uno en uno y de diez en diez"),
    "Count forward beginning from a given number": (
        "Contar hacia adelante a partir de un número dado",
        "I can count on from any number", "Puedo seguir contando desde cualquier número"),
    "Write numbers from 0 to 20": (
        "Escribir los números del 0 al 20", "I can write numbers from 0 to 20",
        "Puedo escribir los números del 0 al 20"),
    "Compare two numbers between 1 and 10": (
        "Comparar dos números entre 1 y 10", "I can tell which number is bigger, from 1 to 10",
        "Puedo decir qué número es mayor, del 1 al 10"),
    "Represent addition and subtraction with objects and equations": (
        "Representar la suma y la resta con objetos y ecuaciones",
        "I can show adding and taking away with objects and number sentences",
        "Puedo mostrar sumas y restas con objetos y con números"),
    "Solve word problems using addition and subtraction within {n}": (
        "Resolver problemas verbales de suma y resta hasta {n}",
        "I can solve story problems by adding and subtracting up to {n}",
        "Puedo resolver problemas con sumas y restas hasta {n}"),
    "Apply properties of operations as strategies to add and subtract": (
        "Aplicar las propiedades de las operaciones como estrategias para sumar y restar",
        "I can use number tricks to add and subtract", "Puedo usar estrategias para sumar y restar"),
    "Interpret products of whole numbers as equal groups": (
        "Interpretar productos de números enteros como grupos iguales",
        "I can explain multiplying as equal groups", "Puedo explicar la multiplicación como grupos iguales"),
    "Determine the unknown number in a multiplication or division equation": (
        "Hallar el número desconocido en una ecuación de multiplicación o división",
        "I can find the missing number in a multiplying or dividing problem",
        "Puedo encontrar el número que falta al multiplicar o dividir"),
    "Solve two-step word problems using the four operations": (
        "Resolver problemas verbales de dos pasos con las cuatro operaciones",
        "I can solve story problems that take two steps", "Puedo resolver problemas de dos pasos"),
    "Identify arithmetic patterns and explain them using properties of operations": (
        "Identificar patrones aritméticos y explicarlos con las propiedades de las operaciones",
        "I can find number patterns and explain them", "Puedo encontrar patrones de números y explicarlos"),
    "Understand place value for numbers to {n}": (
        "Comprender el valor posicional de los números hasta {n}",
        "I can tell what each digit is worth, up to {n}", "Puedo decir cuánto vale cada dígito, hasta {n}"),
    "Use place value understanding to round whole numbers": (
        "Usar el valor posicional para redondear números enteros",
        "I can round numbers using place value", "Puedo redondear números usando el valor posicional"),
    "Fluently add and subtract within {n} using strategies": (
        "Sumar y restar con fluidez hasta {n} usando estrategias",
        "I can add and subtract quickly up to {n}", "Puedo sumar y restar con rapidez hasta {n}"),
    "Multiply one-digit numbers by multiples of 10": (
        "Multiplicar números de un dígito por múltiplos de 10",
        "I can multiply a one-digit number by 10, 20, 30 …", "Puedo multiplicar un número de un dígito por 10, 20, 30 …"),
    "Tell and write time to the nearest minute": (
        "Decir y escribir la hora al minuto más cercano",
        "I can tell time to the minute", "Puedo decir la hora con los minutos"),
    "Measure lengths in standard units": (
        "Medir longitudes en unidades estándar", "I can measure how long things are",
        "Puedo medir cuánto miden las cosas"),
    "Solve problems involving money": (
        "Resolver problemas con dinero", "I can solve problems with money",
        "Puedo resolver problemas con dinero"),
    "Represent data in picture and bar graphs": (
        "Representar datos en pictogramas y gráficas de barras",
        "I can show information in picture graphs and bar graphs",
        "Puedo mostrar información en pictogramas y gráficas de barras"),
    "Identify and describe shapes by their attributes": (
        "Identificar y describir figuras por sus atributos",
        "I can name shapes and tell what makes them that shape",
        "Puedo nombrar figuras y decir cómo son"),
    "Partition shapes into parts with equal areas": (
        "Dividir figuras en partes de igual área", "I can cut shapes into equal parts",
        "Puedo dividir figuras en partes iguales"),
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
            template = stmts[k % len(stmts)]
            es, mine, mine_es = MATH_WORDS.get(template, (None, None, None)) if grade <= 5 \
                else (None, None, None)
            up_to = _within(grade)
            up_to_es = up_to.replace(",", "\u00a0")     # 1 000 000 as Spanish writes it

            def fill(x, up_to=up_to):
                return None if x is None else x.format(n=up_to)
            rows.append(dict(domain=dom, unit=name, code=f"{g}.{dom}.{cluster}.{k % 3 + 1}",
                             statement=fill(template), statement_es=fill(es, up_to_es),
                             student_statement=fill(mine),
                             student_statement_es=fill(mine_es, up_to_es)))
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
                                        "Self-directed learner"][seq % 4],
                    statement_es=row.get("statement_es"),
                    student_statement=row.get("student_statement"),
                    student_statement_es=row.get("student_statement_es")))
    return pd.DataFrame(out)
