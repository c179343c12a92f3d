"""Name lists for the synthetic district: mostly Hispanic/Latino names, as in the
case-study district on the Arizona border, written with their accents."""

FIRST_FEMALE = [
    "María", "Sofía", "Valentina", "Camila", "Ximena", "Isabella", "Guadalupe", "Daniela",
    "Lucía", "Renata", "Mariana", "Natalia", "Fernanda", "Andrea", "Paola", "Jimena",
    "Alejandra", "Itzel", "Yaretzi", "Abril", "Regina", "Dulce", "Araceli", "Noemí",
    "Belén", "Inés", "Zoé", "Mía", "Elena", "Victoria",
]
FIRST_MALE = [
    "José", "Mateo", "Santiago", "Jesús", "Andrés", "Diego", "Emiliano", "Sebastián",
    "Joaquín", "Tomás", "Julián", "Adrián", "Nicolás", "Rubén", "Héctor", "Iván",
    "Ángel", "Luis", "Carlos", "Miguel", "Fernando", "Óscar", "Rafael", "Ramón",
    "Gael", "Leonardo", "Martín", "Efraín", "Damián", "Cristóbal",
]
FIRST_OTHER = [
    "Emma", "Olivia", "Ava", "Harper", "Evelyn", "Abigail", "Liam", "Noah", "Oliver",
    "Elijah", "James", "Lucas", "Mason", "Ethan", "Logan", "Wyatt", "Hannah", "Grace",
    "Caleb", "Ruby",
]
LAST_HISPANIC = [
    "García", "Martínez", "López", "Hernández", "González", "Rodríguez", "Pérez",
    "Sánchez", "Ramírez", "Flores", "Muñoz", "Peña", "Ortiz", "Núñez", "Ibarra",
    "Valenzuela", "Quiñones", "Cázares", "Durán", "Gómez", "Jiménez", "Méndez", "Ruiz",
    "Castañeda", "Zúñiga", "Córdova", "Vásquez", "Ávila", "Montaño", "Acuña", "Robles",
    "Salazar", "Estrada", "Villaseñor", "Ochoa", "Bórquez", "Carrillo", "Domínguez",
    "Encinas", "Félix", "Gutiérrez", "Lucero", "Moreno", "Orozco", "Rentería", "Tapia",
    "Urías", "Yáñez", "Espinoza", "Sotelo",
]
LAST_OTHER = [
    "Smith", "Johnson", "Miller", "Davis", "Wilson", "Anderson", "Thompson", "Clark",
    "Lewis", "Walker", "Young", "Allen", "Wright", "Hill", "Baker", "Nelson",
]
SCHOOL_NAMES = {
    "elementary": ["Peña Blanca Elementary", "Sonoita Creek Elementary", "Calabasas Elementary",
                   "San Cayetano Elementary", "Mountain View Elementary", "Tubac Elementary",
                   "Palo Verde Elementary", "Ocotillo Elementary"],
    "middle": ["Coatimundi Middle School", "Santa Cruz Middle School", "Desert Sky Middle School"],
    "high": ["Rio Verde High School", "Santa Rita High School"],
}
