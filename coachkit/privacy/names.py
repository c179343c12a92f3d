"""Built-in name pools for pseudonymous display names.

Spanish and English names, chosen by a keyed hash (see ``pseudonyms.py``), so a display
name carries no information about the real one. The pools deliberately avoid the names
of coachkit's synthetic sample district (``coachkit.sample.names``), so that in the sample
data a real last name left in a report can be told apart from a pseudonym.
"""
from __future__ import annotations

FIRST_NAMES = (
    # Spanish, feminine
    "Adriana", "Alma", "Alondra", "Ana", "Beatriz", "Carmen", "Carolina", "Citlali",
    "Claudia", "Diana", "Elisa", "Esperanza", "Estela", "Gabriela", "Irene", "Julia",
    "Karla", "Laura", "Leticia", "Lorena", "Maite", "Marisol", "Marta", "Mónica", "Olga",
    "Patricia", "Pilar", "Rocío", "Sara", "Silvia", "Susana", "Teresa", "Yolanda",
    # Spanish, masculine
    "Alberto", "Alfonso", "Antonio", "Armando", "Arturo", "Benito", "César", "Eduardo",
    "Emilio", "Enrique", "Ernesto", "Esteban", "Felipe", "Francisco", "Gerardo",
    "Gilberto", "Gonzalo", "Guillermo", "Ignacio", "Jaime", "Javier", "Jorge", "Lorenzo",
    "Manuel", "Marco", "Mario", "Pablo", "Pedro", "Raúl", "Ricardo", "Roberto", "Rodrigo",
    "Salvador", "Sergio", "Ulises", "Vicente",
    # English
    "Amelia", "Aria", "Audrey", "Chloe", "Claire", "Ella", "Hazel", "Isla", "Layla",
    "Lily", "Nora", "Stella", "Zoey", "Aiden", "Asher", "Benjamin", "Daniel", "Henry",
    "Isaac", "Jack", "Jacob", "Levi", "Owen", "Ryan", "Samuel", "Theo", "Wesley", "Xavier",
)

LAST_NAMES = (
    # Spanish
    "Aguilar", "Alvarado", "Barrera", "Cabrera", "Calderón", "Campos", "Cano", "Castillo",
    "Castro", "Cervantes", "Chávez", "Contreras", "Cruz", "Delgado", "Díaz", "Escobar",
    "Fuentes", "Galindo", "Gallegos", "Guerrero", "Guzmán", "Herrera", "Juárez", "Lara",
    "León", "Lozano", "Maldonado", "Marín", "Medina", "Mejía", "Mendoza", "Miranda",
    "Molina", "Navarro", "Nieto", "Olvera", "Pacheco", "Padilla", "Paredes", "Ponce",
    "Quintero", "Ramos", "Reyes", "Ríos", "Rivas", "Rivera", "Rojas", "Romero", "Rosales",
    "Sandoval", "Santos", "Serrano", "Silva", "Solís", "Soto", "Suárez", "Torres",
    "Trujillo", "Valdez", "Vargas", "Velázquez", "Zamora",
    # English
    "Bailey", "Bennett", "Brooks", "Collins", "Edwards", "Evans", "Foster", "Fisher",
    "Graham", "Hayes", "Hughes", "Jenkins", "Kelly", "Morgan", "Murphy", "Powell",
    "Russell", "Sanders", "Stewart", "Sullivan", "Watson", "Webb", "Howard", "Jordan",
)

assert len(set(FIRST_NAMES)) == len(FIRST_NAMES) and len(set(LAST_NAMES)) == len(LAST_NAMES)
