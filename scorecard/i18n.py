"""Words of the plain-language pages in English and Spanish: labels, stars and trends in words,
units, periods, assessment ratings and the glossary.

Measure texts come from the specs (`plain.en`, `plain.es`); everything else a member reads on
the plain pages is here, so a translator has one file to review. Sentences are short on purpose:
the English pages are checked for a Flesch-Kincaid grade of 8 or less (tests/test_readable.py).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date

LANGS: tuple[str, ...] = ("en", "es")

UI: dict[str, dict[str, str]] = {
    "en": {
        "plain_title": "{name}: results in plain words",
        "plain_intro": "This page shows how {name} did up to the end of {end}. Each result "
        "says which months it covers.",
        "covers": "Months covered",
        "counts_of": "{n} of {d}",
        "counts_out_of": "out of {d}",
        "covers_year": "the 12 months ending {end}",
        "covers_quarter": "{period}",
        "kind_aco": "{name} is an {aco}: a group of doctors, hospitals and other care providers "
        "who work together to care for their members.",
        "kind_cp": "{name} is a {cp}: a team that helps members with complex needs get the care "
        "and support they need.",
        "kind_cp_type": "{name} is a {cp}. It helps members with {kind}.",
        "plain_words": "Underlined words link to the {glossary}, which explains them.",
        "glossary_word": "list of words",
        "switch": "Lea esta página en español",
        "full_page": "See the full scorecard, with all numbers",
        "overall_title": "Overall",
        "overall": "{name} got {stars} overall.",
        "overall_none": "{name} did not get stars overall this time. There was not enough data.",
        "overall_none_short": "{name} did not get stars overall this time.",
        "basis_one": "Based on 1 measure.",
        "basis_some": "Based on {count} measures.",
        "summary_hidden": "Not shown in this edition: it would reveal results hidden to protect "
        "privacy.",
        "summary_hidden_words": "Not shown",
        "summary_hidden_short": "hidden to protect privacy",
        "overall_hidden": "{name}'s overall stars are not shown in this edition: they would "
        "reveal results hidden to protect privacy.",
        "short_one": "Only 1 measure got stars, and a rating needs at least {need}.",
        "short_some": "Only {count} measures got stars, and a rating needs at least {need}.",
        "stars_explain": "Stars go from 1 to 5. More stars are better.",
        "stars_compare": "Stars compare {name} with {peers}.",
        "peers_cp_type": "other Community Partners that help members with {kind}",
        "group_unrated": "{name} is not given stars: there are too few {peers} to compare it with.",
        "area_stars": "Stars for this area: {stars}.",
        "area_none": "This area has no stars this time.",
        "tier": '{name} is in the bonus level called "{tier}".',
        "tier_explain": "The program pays a bonus when the average of the stars is high. More "
        "stars give a bigger bonus.",
        "tier_link": "See the bonus levels",
        "reward": "This includes {reward} extra stars, because {name} did well on most "
        "measures, not just on a few.",
        "result": "Result",
        "stars": "Stars",
        "compare": "Compared with the program as a whole",
        "compare_own_kind": "Compared with all members of Community Partners of the same kind",
        "change": "Change",
        "meaning": "What this means for members",
        "more": "More about this result",
        "new_way": "Measured a new way",
        "new_way_text": "The way this is measured changed in this edition. All the months shown "
        "were worked out again the new way. So this result can differ from the one in the "
        "edition for {period}.",
        "new_way_last": "Last edition's figure, under the old rule: {value}.",
        # why is the glossary's (too few people, or it could reveal another hidden number)
        "hidden_some": "{count} more results in this area are not shown, to keep members' "
        "information private.",
        "hidden_one": "1 more result in this area is not shown, to keep members' information "
        "private.",
        "none_shown": "The results in this area are not shown, to keep members' information "
        "private.",
        "members_title": "Members",
        "members_count": "{name} had {count} members at the end of {month}.",
        "members_hidden": "How many members {name} had is not shown, to protect the privacy of "
        "the people counted.",
        "members_groups": "Members by group",
        "groups_small": "Not shown, because every group is too small to show safely: {groups}.",
        "groups_small_and_others": "Not shown: some groups are too small to show safely, and "
        "the others are hidden too, so that the small ones cannot be worked out from the total: "
        "{groups}.",
        "groups_protect_others": "Not shown, so that nobody can use these numbers to work out a "
        "small group somewhere else, such as in another organization: {groups}.",
        "group": "Group",
        "members": "Members",
        "share": "Share",
        "not_shown": "Not shown",
        "assessment_title": "Review of how the {cp} works",
        "assessment_intro": "Reviewers looked at how {name} works in {count} areas. "
        "The review was on {date}.",
        "area": "Area",
        "rating": "Rating",
        "suggestion": "Suggestion",
        "questions": "Questions",
        "questions_text": "If you have questions about your care, ask your care team. "
        "You can also call {contact}.",
        "index_title": "Results in plain words",
        "index_intro": "These pages show the results of each {aco} and {cp} in plain words. "
        "They are for members and families. The results are for {period}.",
        "index_aco": "ACOs",
        "index_cp": "Community Partners",
        "index_cp_BH": "Community Partners for behavioral health (BH)",
        "index_cp_LTSS": "Community Partners for long-term services and supports (LTSS)",
        "glossary_title": "Words used on this site",
        "glossary_intro": "These are the words used on our pages, in plain language.",
        "back": "Back to the list of results",
        "notes_title": "About this data",
        "edition_outdated": "You are looking at an older edition of these results.",
        "edition_newest": "Go to the newest results.",
        "edition_retired": "(retired)",
        "edition_noted": "(see data note)",
        "note_runout": "Not all {bills} for {months} had come in when these results were made. "
        "Results about the use and cost of care in {period} may be lower than they really are.",
        "note_repeated_totals": "Some hospital bills in the data may show the whole bill's total "
        "on each of their lines. Results about the cost of care may be higher than they really "
        "are.",
        "note_drug_list": "The medicines in the pharmacy bills could not be recognized (the "
        "list that says which medicine each code stands for did not match them). Results that "
        "count medicines are not shown, and a few others may be slightly off.",
        "bills_medical_claim": "the bills from doctors and hospitals",
        "bills_pharmacy_claim": "the bills from pharmacies",
        "bills_medical_claim_pharmacy_claim": "the bills from doctors, hospitals and pharmacies",
        "and": "and",
    },
    "es": {
        "plain_title": "{name}: resultados en palabras sencillas",
        "plain_intro": "Esta página muestra cómo le fue a {name} hasta el final de {end}. "
        "Cada resultado dice qué meses abarca.",
        "covers": "Meses que abarca",
        "counts_of": "{n} de {d}",
        "counts_out_of": "de un total de {d}",
        "covers_year": "los 12 meses que terminan en {end}",
        "covers_quarter": "de {period}",
        "kind_aco": "{name} es una {aco}: un grupo de médicos, hospitales y otros proveedores de "
        "cuidado que trabajan juntos para cuidar a sus miembros.",
        "kind_cp": "{name} es un {cp}: un equipo que ayuda a miembros con necesidades complejas "
        "a recibir el cuidado y el apoyo que necesitan.",
        "kind_cp_type": "{name} es un {cp}. Ayuda a miembros con {kind}.",
        "plain_words": "Las palabras subrayadas llevan a la {glossary}, donde se explican.",
        "glossary_word": "lista de palabras",
        "switch": "Read this page in English",
        "full_page": "Vea la página completa, con todos los números (en inglés)",
        "overall_title": "En general",
        "overall": "{name} recibió {stars} en general.",
        "overall_none": "Esta vez {name} no recibió estrellas en general. No había suficientes "
        "datos.",
        "overall_none_short": "Esta vez {name} no recibió estrellas en general.",
        "basis_one": "Se basa en 1 medida.",
        "basis_some": "Se basa en {count} medidas.",
        "summary_hidden": "No se muestra en esta edición: revelaría resultados que se ocultan "
        "para proteger la privacidad.",
        "summary_hidden_words": "No se muestra",
        "summary_hidden_short": "oculto para proteger la privacidad",
        "overall_hidden": "Las estrellas generales de {name} no se muestran en esta edición: "
        "revelarían resultados que se ocultan para proteger la privacidad.",
        "short_one": "Solo 1 medida recibió estrellas, y una calificación necesita al menos "
        "{need}.",
        "short_some": "Solo {count} medidas recibieron estrellas, y una calificación necesita al "
        "menos {need}.",
        "stars_explain": "Las estrellas van de 1 a 5. Más estrellas es mejor.",
        "stars_compare": "Las estrellas comparan a {name} con {peers}.",
        "peers_cp_type": "otros Community Partners que ayudan a miembros con {kind}",
        "group_unrated": "{name} no recibe estrellas: hay muy pocos {peers} con quienes "
        "compararlo.",
        "area_stars": "Estrellas en esta área: {stars}.",
        "area_none": "Esta área no tiene estrellas esta vez.",
        "tier": '{name} está en el nivel de bono llamado "{tier}".',
        "tier_explain": "El programa paga un bono cuando el promedio de las estrellas es alto. "
        "Más estrellas dan un bono más grande.",
        "tier_link": "Vea los niveles de bono (en inglés)",
        "reward": "Esto incluye {reward} estrellas extra, porque {name} tuvo buenos resultados "
        "en la mayoría de las medidas, no solo en algunas.",
        "result": "Resultado",
        "stars": "Estrellas",
        "compare": "Comparado con todo el programa",
        "compare_own_kind": "Comparado con todos los miembros de los Community Partners del "
        "mismo tipo",
        "change": "Cambio",
        "meaning": "Qué significa para los miembros",
        "more": "Más sobre este resultado (en inglés)",
        "new_way": "Se mide de otra forma",
        "new_way_text": "La forma de medir esto cambió en esta edición. Todos los meses que se "
        "muestran se calcularon de nuevo de la forma nueva. Por eso este resultado puede ser "
        "distinto del de la edición de {period}.",
        "new_way_last": "La cifra de la edición anterior, con la regla anterior: {value}.",
        "hidden_some": "No se muestran {count} resultados más de esta área, para proteger la "
        "información de los miembros.",
        "hidden_one": "No se muestra 1 resultado más de esta área, para proteger la información "
        "de los miembros.",
        "none_shown": "No se muestra ningún resultado de esta área, para proteger la información "
        "de los miembros.",
        "members_title": "Miembros",
        "members_count": "{name} tenía {count} miembros a fines de {month}.",
        "members_hidden": "No se muestra cuántos miembros tenía {name}, para proteger la "
        "privacidad de las personas contadas.",
        "members_groups": "Miembros por grupo",
        "groups_small": "No se muestran, porque todos los grupos son demasiado pequeños para "
        "mostrarlos sin riesgo: {groups}.",
        "groups_small_and_others": "No se muestran: algunos grupos son demasiado pequeños para "
        "mostrarlos sin riesgo, y los demás también se ocultan, para que no se pueda calcular el "
        "número de los pequeños a partir del total: {groups}.",
        "groups_protect_others": "No se muestran, para que nadie pueda usar estos números para "
        "calcular un grupo pequeño de otro lugar, por ejemplo de otra organización: {groups}.",
        "group": "Grupo",
        "members": "Miembros",
        "share": "Parte",
        "not_shown": "No se muestra",
        "assessment_title": "Revisión de cómo trabaja el {cp}",
        "assessment_intro": "Un equipo revisó cómo trabaja {name} en {count} áreas. "
        "La revisión fue el {date}.",
        "area": "Área",
        "rating": "Calificación",
        "suggestion": "Sugerencia",
        "questions": "Preguntas",
        "questions_text": "Si tiene preguntas sobre su cuidado, hable con su equipo de cuidado. "
        "También puede llamar {contact}.",
        "index_title": "Resultados en palabras sencillas",
        "index_intro": "Estas páginas muestran los resultados de cada {aco} y cada {cp} en "
        "palabras sencillas. Son para los miembros y sus familias. Los resultados son de "
        "{period}.",
        "index_aco": "ACO",
        "index_cp": "Community Partners",
        "index_cp_BH": "Community Partners de salud conductual (BH)",
        "index_cp_LTSS": "Community Partners de servicios y apoyos a largo plazo (LTSS)",
        "glossary_title": "Palabras que usamos",
        "glossary_intro": "Estas son las palabras que usamos en nuestras páginas, explicadas en "
        "palabras sencillas.",
        "back": "Volver a la lista de resultados",
        "notes_title": "Sobre estos datos",
        "edition_outdated": "Está viendo una edición anterior de estos resultados.",
        "edition_newest": "Ir a los resultados más recientes.",
        "edition_retired": "(retirada)",
        "edition_noted": "(vea la nota sobre los datos)",
        "note_runout": "Cuando se prepararon estos resultados, todavía no habían llegado todas "
        "{bills} de {months}. Los resultados sobre el uso y el costo de la atención de {period} "
        "pueden ser más bajos de lo que realmente son.",
        "note_repeated_totals": "Es posible que algunas facturas de hospital muestren el total "
        "de toda la factura en cada una de sus líneas. Los resultados sobre el costo de la "
        "atención pueden ser más altos de lo que realmente son.",
        "note_drug_list": "No se pudieron reconocer los medicamentos de las facturas de "
        "farmacia (la lista que dice qué medicamento es cada código no coincidió con ellas). "
        "No se muestran los resultados que cuentan medicamentos, y algunos otros pueden no ser "
        "del todo exactos.",
        "bills_medical_claim": "las facturas de médicos y hospitales",
        "bills_pharmacy_claim": "las facturas de farmacias",
        "bills_medical_claim_pharmacy_claim": "las facturas de médicos, hospitales y farmacias",
        "and": "y",
    },
}

FAMILY_PLAIN: dict[str, dict[str, str]] = {
    "en": {
        "operational": "Help from Community Partners",
        "claims": "Use of care and spending",
        "quality": "Quality of care",
        "profile": "Who the members are",
    },
    "es": {
        "operational": "Ayuda de los Community Partners",
        "claims": "Uso de servicios y gastos",
        "quality": "Calidad de la atención",
        "profile": "Quiénes son los miembros",
    },
}

FAMILY_INTRO: dict[str, dict[str, str]] = {
    "en": {
        "operational": "These results are about the help Community Partners give to members "
        "with complex needs.",
        "claims": "These results are about how members use care, like hospital stays and "
        "emergency room visits, and what it costs.",
        "quality": "These results show if members got the checkups, tests and follow-up care "
        "they need.",
        "profile": "These numbers describe the members. They help compare groups fairly. They "
        "are not rated.",
    },
    "es": {
        "operational": "Estos resultados tratan de la ayuda que los Community Partners dan a "
        "miembros con necesidades complejas.",
        "claims": "Estos resultados tratan de cómo los miembros usan la atención, como las "
        "estadías en el hospital y las visitas a la sala de emergencias, y de cuánto cuesta.",
        "quality": "Estos resultados muestran si los miembros recibieron los chequeos, las "
        "pruebas y el seguimiento que necesitan.",
        "profile": "Estas cifras describen a los miembros. Ayudan a comparar los grupos de forma "
        "justa. No se califican.",
    },
}

# Others of an entity's kind, with their article: "ACO" is feminine in Spanish (una ACO, otras
# ACO), as the glossary has it.
PEERS_PLAIN = {
    "en": {"aco": "other ACOs", "cp": "other Community Partners", "practice": "other practices"},
    "es": {"aco": "otras ACO", "cp": "otros Community Partners", "practice": "otros consultorios"},
}

# The program's names of its kinds of CP (organization.cp_type), kept in English as the program
# names them (as "Community Partner" is).
CP_TYPE_NAMES = {"BH": "Behavioral Health", "LTSS": "Long-Term Services and Supports"}

CP_TYPE_PLAIN = {
    "en": {"BH": "mental health or drug and alcohol use", "LTSS": "long-term care needs"},
    "es": {
        "BH": "problemas de salud mental o de consumo de alcohol o drogas",
        "LTSS": "necesidades de cuidado a largo plazo",
    },
}

STAR_WORDS = {
    "en": (
        "among the lowest",
        "lower than most",
        "in the middle",
        "better than most",
        "among the best",
    ),
    "es": (
        "entre los más bajos",
        "más bajo que la mayoría",
        "en el medio",
        "mejor que la mayoría",
        "entre los mejores",
    ),
}
DIRECTION_WORDS = {
    "en": {
        "higher_is_better": "A higher result is better",
        "lower_is_better": "A lower result is better",
        "neutral": "Neither higher nor lower is better by itself",
    },
    "es": {
        "higher_is_better": "Un resultado más alto es mejor",
        "lower_is_better": "Un resultado más bajo es mejor",
        "neutral": "Un resultado más alto o más bajo no es mejor ni peor por sí mismo",
    },
}
PEER_WORDS = {  # higher and lower: a measure neither better nor worse either way (neutral);
    # too_few and no_spread: an average with no likely range (stats.interval_gap); few_peers:
    # too few CPs of its type (stats.FEW_PEERS); hidden_reference and no_reference: what it is
    # compared with is hidden for privacy, or there is none (stats.HIDDEN_REFERENCE, NO_REFERENCE)
    "en": {
        "better": "Better",
        "no_different": "About the same",
        "worse": "Worse",
        "higher": "Higher",
        "lower": "Lower",
        "too_few": "Not compared: too few members to say",
        "no_spread": "Not compared: every member had the same result, so there is no range",
        "few_peers": "Not compared: too few others of the same kind to compare with",
        "hidden_reference": "Not compared: the result it is compared with is hidden to protect "
        "privacy",
        "no_reference": "Not compared: there is no result to compare it with for this measure",
    },
    "es": {
        "better": "Mejor",
        "no_different": "Más o menos igual",
        "worse": "Peor",
        "higher": "Más alto",
        "lower": "Más bajo",
        "too_few": "Sin comparar: hay muy pocos miembros para saberlo",
        "no_spread": "Sin comparar: todos los miembros tuvieron el mismo resultado, así que no "
        "hay rango",
        "few_peers": "Sin comparar: hay muy pocos otros del mismo tipo para comparar",
        "hidden_reference": "Sin comparar: el resultado con el que se compara está oculto para "
        "proteger la privacidad",
        "no_reference": "Sin comparar: no hay un resultado con el cual compararlo en esta medida",
    },
}
# A trend compares a result with the one a whole window before (stats.comparison_quarters):
# a quarter's result with the quarter before (the last report), a year's with the year before.
TREND_WORDS = {
    "en": {
        "quarter": {
            "improved": "Got better since the last report",
            "no_change": "No clear change since the last report",
            "declined": "Got worse since the last report",
            "rose": "Went up since the last report",
            "fell": "Went down since the last report",
        },
        "year": {
            "improved": "Better than the year before",
            "no_change": "No clear change from the year before",
            "declined": "Worse than the year before",
            "rose": "Higher than the year before",
            "fell": "Lower than the year before",
        },
    },
    "es": {
        "quarter": {
            "improved": "Mejoró desde el informe anterior",
            "no_change": "Ningún cambio claro desde el informe anterior",
            "declined": "Empeoró desde el informe anterior",
            "rose": "Subió desde el informe anterior",
            "fell": "Bajó desde el informe anterior",
        },
        "year": {
            "improved": "Mejor que el año anterior",
            "no_change": "Ningún cambio claro respecto al año anterior",
            "declined": "Peor que el año anterior",
            "rose": "Más alto que el año anterior",
            "fell": "Más bajo que el año anterior",
        },
    },
}
# Why a result has no stars (ratings.STAR_NOTES), on the full pages and the plain ones; short
# enough for a table cell. "Not rated" is the organization's own count; "No stars for anyone"
# is a reason shared by every organization of its kind.
STAR_NOTE_WORDS = {
    "en": {
        "chance": "Not rated: too few of its members were counted",
        "level_chance": "No stars for anyone this time: the results were too close to tell apart",
        "few_entities": "No stars for anyone this time: too few organizations of its kind had "
        "enough data",
        "small_group": "Not given stars: there are too few organizations of its kind to compare",
        "alike": "No stars for anyone this time: most organizations had the same result",
        "hidden_results": "Not shown: it would reveal results hidden to protect privacy",
        "internal_only": "Not rated: shown only in this internal edition (hidden elsewhere "
        "for privacy)",
    },
    "es": {
        "chance": "Sin estrellas: se contaron muy pocos de sus miembros",
        "level_chance": "Nadie recibió estrellas esta vez: los resultados estaban muy cerca "
        "para distinguirlos",
        "few_entities": "Nadie recibió estrellas esta vez: pocas organizaciones de su tipo "
        "tenían datos",
        "small_group": "Sin estrellas: hay muy pocas organizaciones de su tipo para comparar",
        "alike": "Nadie recibió estrellas esta vez: la mayoría de las organizaciones tuvo el "
        "mismo resultado",
        "hidden_results": "No se muestra: revelaría resultados ocultos por privacidad",
        "internal_only": "Sin estrellas: solo en esta edición interna (oculto en las demás "
        "por privacidad)",
    },
}
# What the stars cell of a measure that never gets stars (stars: {method: none}: costs, use
# of care, who the members are) says: no reason about counts, as "Not rated: ..." would give.
INFORMATION_ONLY = {"en": "For information, not rated", "es": "Solo informativo, sin estrellas"}
TREND_ARROWS = {"improved": "▲", "no_change": "●", "declined": "▼", "rose": "▲", "fell": "▼"}

STRATUM_PLAIN = {
    "en": {
        "age_band": "Age",
        "sex": "Sex",
        "race": "Race and ethnicity",
        "language": "Language",
        "cp_type": "Kind of Community Partner",
    },
    "es": {
        "age_band": "Edad",
        "sex": "Sexo",
        "race": "Raza y origen étnico",
        "language": "Idioma",
        "cp_type": "Tipo de Community Partner",
    },
}
# Group values as the marts write them -> Spanish (English pages show them as they are).
VALUE_ES = {
    "female": "Mujer",
    "male": "Hombre",
    "unknown": "Desconocido",
    "Unknown": "Desconocido",
    "English": "Inglés",
    "Spanish": "Español",
    "Portuguese": "Portugués",
    "Haitian Creole": "Criollo haitiano",
    "Vietnamese": "Vietnamita",
    "Chinese": "Chino",
    "Cape Verdean Creole": "Criollo caboverdiano",
    "Khmer": "Jemer",
    "Russian": "Ruso",
    "Arabic": "Árabe",
    "Other": "Otro",
    "White": "Blanca",
    "Black": "Negra",
    "Black or African American": "Negra o afroamericana",
    "Hispanic": "Hispana",
    "Hispanic or Latino": "Hispana o latina",
    "Asian": "Asiática",
    "American Indian or Alaska Native": "Indígena americana o nativa de Alaska",
    "Native Hawaiian or Pacific Islander": "Nativa de Hawái o de las islas del Pacífico",
    "Multiracial": "Multirracial",
    "Two or more races": "Dos o más razas",
    "BH": "Salud conductual (BH)",
    "LTSS": "Servicios y apoyos a largo plazo (LTSS)",
    "65+": "65 o más",
    "0-17": "0 a 17",
    "18-34": "18 a 34",
    "35-49": "35 a 49",
    "50-64": "50 a 64",
    "No CP": "Sin Community Partner",
}
VALUE_EN = {
    "female": "Female",
    "male": "Male",
    "unknown": "Unknown",
    "65+": "65 or older",
    "0-17": "0 to 17",
    "18-34": "18 to 34",
    "35-49": "35 to 49",
    "50-64": "50 to 64",
    "No CP": "No Community Partner",
    "BH": "Behavioral health (BH)",
    "LTSS": "Long-term services and supports (LTSS)",
}

# Units of the specs in Spanish; percent and dollar signs stay as marks. '{n}' marks where the
# number goes when it is not first; PLAIN_SCALES says when it is given per 100.
UNITS_ES: dict[str, str] = {
    "percent of members": "% de los miembros",
    "percent of ED visits": "% de las visitas a la sala de emergencias",
    "percent of assignments": "% de las asignaciones",
    "percent of care plans due": "% de los planes de cuidado que tocaba renovar",
    "percent of children": "% de los niños",
    "percent of discharges": "% de las salidas del hospital",
    "percent of eligible days": "% de los días posibles",
    "percent of new episodes": "% de los casos nuevos",
    "percent of stays": "% de las estadías en el hospital",
    "percent of women": "% de las mujeres",
    "days": "días",
    "dollars per member per month": "dólares por miembro al mes",
    "dollars per risk-adjusted member month": "dólares al mes por miembro, después de ajustar "
    "por qué tan enfermos están los miembros",
    "activities per engaged member month": "actividades por cada mes de cada miembro activo",
    "admissions per 1,000 member months": "ingresos por cada 1,000 meses-miembro",
    "admissions per 100,000 member years": "ingresos por cada 100,000 años-miembro",
    "attempts per assigned member month": "intentos por cada 100 miembros al mes",
    "on a scale from 0 to 1": "en una escala de 0 a 1",
    "members per 1,000 members": "de cada 1,000 miembros",
    "members per care team": "miembros por equipo de cuidado",
    "months enrolled per member": "meses inscritos por miembro",
    "observed / expected readmissions": "reingresos observados por cada reingreso esperado",
    "prescriptions per 1,000 member months": "recetas por cada 1,000 meses-miembro",
    "risk score": "un puntaje de riesgo de {n}. Un puntaje de 1.0 "
    "quiere decir las mismas necesidades que una persona promedio de Medicare. Un puntaje más "
    "bajo quiere decir menos necesidades",
    "visits per 1,000 member months": "visitas por cada 1,000 meses-miembro",
}

# How a unit's first word is written as a mark: (word, prefix, suffix), '$412', '72.4%'.
UNIT_MARKS = (("percent", "", "%"), ("%", "", "%"), ("dollars", "$", ""), ("$", "$", ""))

# Units of the specs made plainer for members (English; '% ' for a percent, '{n}' where the
# number goes when it is not first); others are shown as they are.
UNITS_EN_PLAIN: dict[str, str] = {
    "percent of ED visits": "% of emergency room visits",
    "percent of assignments": "% of members assigned to a Community Partner",
    "percent of discharges": "% of hospital stays",
    "percent of eligible days": "% of days at home or in the community",
    "percent of new episodes": "% of new cases",
    "percent of care plans due": "% of care plans due to be renewed",
    "risk score": "a risk score of {n}. A score of 1.0 means the same "
    "needs as an average person on Medicare. A lower score means fewer needs",
    "dollars per risk-adjusted member month": "a month per member, after adjusting for how sick "
    "members are",
    "percent of stays": "% of hospital stays",
    "members per 1,000 members": "out of every 1,000 members",
    "observed / expected readmissions": "readmissions for every one expected",
    "activities per engaged member month": "activities per member each month",
    "attempts per assigned member month": "tries for every 100 members each month",
    "admissions per 1,000 member months": "hospital stays per 1,000 member months",
    "admissions per 100,000 member years": "hospital stays per 100,000 member years",
}

# Units whose plain words give the number per 100 (0.23 tries per member: 23 per 100 members).
PLAIN_SCALES: dict[str, int] = {"attempts per assigned member month": 100}

MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
}

# ---------------------------------------------------------------- organizational assessment

RATINGS: tuple[str, ...] = (
    "On track",
    "On track with limited recommendations",
    "Opportunity for improvement",
)
RATING_KEYS = {
    "On track": "on-track",
    "On track with limited recommendations": "limited",
    "Opportunity for improvement": "improve",
}
RATING_ICONS = {"on-track": "✓", "limited": "◐", "improve": "!"}
RATING_PLAIN = {
    "en": {
        "On track": "On track. It is doing what is expected.",
        "On track with limited recommendations": "On track, with a few things to work on.",
        "Opportunity for improvement": "Needs to improve in this area.",
    },
    "es": {
        "On track": "En buen camino. Hace lo que se espera.",
        "On track with limited recommendations": "En buen camino, con algunas cosas que mejorar.",
        "Opportunity for improvement": "Necesita mejorar en esta área.",
    },
}
RATING_MEANING = {
    "On track": "the Community Partner has made the progress expected in this area.",
    "On track with limited recommendations": "progress is good, with a few gaps to close.",
    "Opportunity for improvement": "there are larger gaps to close in this area.",
}
FOCUS_AREA_PLAIN = {
    "Organizational Structure and Engagement": (
        "How it is run and how it listens to members",
        "Cómo se dirige y cómo escucha a los miembros",
    ),
    "Organizational Structure and Governance": (
        "How it is run and how it listens to members",
        "Cómo se dirige y cómo escucha a los miembros",
    ),
    "Integration of Systems and Processes": (
        "How it works with ACOs and doctors",
        "Cómo trabaja con las ACO y los médicos",
    ),
    "Workforce Development": (
        "Hiring and training staff",
        "Contratación y capacitación del personal",
    ),
    "Health Information Technology and Exchange": (
        "Computer systems and sharing records",
        "Sistemas informáticos e intercambio de expedientes",
    ),
    "Care Model": (
        "How care is planned and linked up",
        "Cómo se planifica y se coordina el cuidado",
    ),
}

# ---------------------------------------------------------------- glossary


@dataclass(frozen=True)
class TermText:
    """A glossary term in one language: its heading, the words that point to it, the text."""

    term: str
    aliases: tuple[str, ...]
    definition: str


@dataclass(frozen=True)
class Term:
    """One glossary entry in English and Spanish; `key` is its anchor on the glossary pages."""

    key: str
    en: TermText
    es: TermText

    def text(self, lang: str) -> TermText:
        """Return the entry in `lang` (English when unknown)."""
        return self.es if lang == "es" else self.en


def _term(key: str, en: tuple, es: tuple) -> Term:
    key = key.replace("_", "-")  # the anchor on the glossary pages
    return Term(key, TermText(en[0], tuple(en[1]), en[2]), TermText(es[0], tuple(es[1]), es[2]))


GLOSSARY: tuple[Term, ...] = (
    _term(
        "aco",
        (
            "ACO (Accountable Care Organization)",
            ["Accountable Care Organizations", "Accountable Care Organization", "ACOs", "ACO"],
            "A group of doctors, hospitals and other care providers. They work together to care "
            "for MassHealth members. Each ACO is responsible for the quality and the cost of its "
            "members' care.",
        ),
        (
            "ACO (Organización de Atención Responsable)",
            ["Organización de Atención Responsable", "ACO"],
            "Un grupo de médicos, hospitales y otros proveedores de salud. Trabajan juntos para "
            "cuidar a los miembros de MassHealth. Cada ACO responde por la calidad y el costo del "
            "cuidado de sus miembros.",
        ),
    ),
    _term(
        "cp",
        (
            "Community Partner (CP)",
            ["Community Partners", "Community Partner", "CPs", "CP"],
            "An organization in the community that helps members with complex needs. A care team "
            "helps the member make a care plan and get the care and services they need. There "
            "are two kinds: BH and LTSS.",
        ),
        (
            "Community Partner (CP)",
            ["Community Partners", "Community Partner", "CP"],
            "Una organización de la comunidad que ayuda a miembros con necesidades complejas. Un "
            "equipo de cuidado ayuda al miembro a hacer un plan de cuidado y a recibir la atención "
            "y los servicios que necesita. Hay dos tipos: BH y LTSS.",
        ),
    ),
    _term(
        "masshealth",
        (
            "MassHealth",
            ["MassHealth"],
            "The Medicaid program of Massachusetts. It pays for health care for people with low "
            "income or a disability.",
        ),
        (
            "MassHealth",
            ["MassHealth"],
            "El programa Medicaid de Massachusetts. Paga la atención médica de personas con bajos "
            "ingresos o con una discapacidad.",
        ),
    ),
    _term(
        "member",
        (
            "Member",
            ["members", "member"],
            "A person who gets health coverage from MassHealth. On these pages, the members of a "
            "group are the people it serves.",
        ),
        (
            "Miembro",
            ["miembros", "miembro"],
            "Una persona que recibe cobertura de salud de MassHealth. En estas páginas, los "
            "miembros de un grupo son las personas a las que sirve.",
        ),
    ),
    _term(
        "bh",
        (
            "BH (behavioral health)",
            ["behavioral health", "BH"],
            "Care for mental health and for alcohol or drug use. A BH Community Partner helps "
            "members with these needs.",
        ),
        (
            "BH (salud conductual)",
            ["salud conductual", "BH"],
            "Atención de la salud mental y del consumo de alcohol o drogas. Un Community Partner "
            "de BH ayuda a miembros con estas necesidades.",
        ),
    ),
    _term(
        "ltss",
        (
            "LTSS (long-term services and supports)",
            ["long-term services and supports", "long-term care", "LTSS"],
            "Help with daily life for people with a disability or a long illness. Examples are "
            "home care, personal care and adult day programs. An LTSS Community Partner helps "
            "members with these needs.",
        ),
        (
            "LTSS (servicios y apoyos a largo plazo)",
            ["servicios y apoyos a largo plazo", "cuidado a largo plazo", "LTSS"],
            "Ayuda con la vida diaria para personas con una discapacidad o una enfermedad larga. "
            "Por ejemplo, cuidado en el hogar, cuidado personal y programas de día. Un Community "
            "Partner de LTSS ayuda a miembros con estas necesidades.",
        ),
    ),
    _term(
        "ed",
        (
            "ED (emergency department)",
            ["emergency department", "emergency room", "ED"],
            "The emergency room of a hospital. It is for sudden, serious illness or injury.",
        ),
        (
            "Sala de emergencias",
            ["sala de emergencias", "emergencias"],
            "La parte del hospital que atiende enfermedades o lesiones graves y repentinas.",
        ),
    ),
    _term(
        "pcp",
        (
            "PCP (primary care provider)",
            ["primary care provider", "regular doctor", "PCP"],
            "Your regular doctor or nurse. You see them for checkups and most health problems.",
        ),
        (
            "Proveedor de atención primaria (PCP)",
            ["proveedor de atención primaria", "médico de cabecera", "médico habitual", "PCP"],
            "Su médico o enfermera de siempre. Usted le ve para chequeos y para la mayoría de los "
            "problemas de salud.",
        ),
    ),
    _term(
        "care_plan",
        (
            "Care plan",
            ["care plans", "care plan"],
            "A written plan made with the member. It lists the member's goals and the help they "
            "will get. The member's doctor signs it.",
        ),
        (
            "Plan de cuidado",
            ["planes de cuidado", "plan de cuidado"],
            "Un plan escrito que se hace con el miembro. Dice cuáles son sus metas y qué ayuda "
            "va a recibir. El médico del miembro lo firma.",
        ),
    ),
    _term(
        "care_team",
        (
            "Care team",
            ["care teams", "care team"],
            "The staff at a Community Partner who work with a member. They call, visit and help "
            "the member get care.",
        ),
        (
            "Equipo de cuidado",
            ["equipos de cuidado", "equipo de cuidado"],
            "El personal de un Community Partner que trabaja con un miembro. Llaman, visitan y "
            "ayudan al miembro a recibir atención.",
        ),
    ),
    _term(
        "assessment",
        (
            "Needs assessment",
            ["needs assessment", "comprehensive assessment"],
            "A talk with a care team member about your health, your home and your needs. It comes "
            "before the care plan.",
        ),
        (
            "Evaluación de necesidades",
            ["evaluación de necesidades", "evaluación"],
            "Una conversación con alguien del equipo de cuidado sobre su salud, su hogar y sus "
            "necesidades. Se hace antes del plan de cuidado.",
        ),
    ),
    _term(
        "participation_form",
        (
            "Participation form",
            ["participation form"],
            "The form a member signs to join a Community Partner's program.",
        ),
        (
            "Formulario de participación",
            ["formulario de participación", "formulario"],
            "El formulario que firma un miembro para unirse al programa de un Community Partner.",
        ),
    ),
    _term(
        "pmpm",
        (
            "PMPM (per member per month)",
            # only the words of dollar amounts ('$412 per member per month'): never a count's
            # ('2.51 activities per member each month' is no money spent)
            ["per member per month", "a month per member", "PMPM"],
            "A way to compare spending. It is the money spent on care, split evenly over each "
            "member for each month they were enrolled.",
        ),
        (
            "Por miembro al mes (PMPM)",
            ["por miembro al mes", "al mes por miembro", "PMPM"],
            "Una forma de comparar gastos. Es el dinero gastado en atención, repartido entre cada "
            "miembro por cada mes que estuvo inscrito.",
        ),
    ),
    _term(
        "member_month",
        (
            "Member month",
            ["member months", "member month", "member years", "member year"],
            "One member enrolled for one month. Ten members enrolled for a full year make 120 "
            "member months. Results given per 1,000 member months can be compared between big "
            "and small groups. A member year is 12 member months.",
        ),
        (
            "Mes-miembro",
            ["meses-miembro", "mes-miembro", "años-miembro"],
            "Un miembro inscrito durante un mes. Diez miembros inscritos todo un año suman 120 "
            "meses-miembro. Así se pueden comparar grupos grandes y pequeños. Un año-miembro son "
            "12 meses-miembro.",
        ),
    ),
    _term(
        "hedis",
        (
            "HEDIS",
            ["HEDIS"],
            "A set of measures of the quality of care. Health plans across the country use them. "
            "NCQA, a national group, writes them.",
        ),
        (
            "HEDIS",
            ["HEDIS"],
            "Un conjunto de medidas de la calidad de la atención. Los planes de salud de todo el "
            "país las usan. Las escribe NCQA, un grupo nacional.",
        ),
    ),
    _term(
        "stars",
        (
            "Stars",
            ["stars", "star"],
            "A score from 1 to 5. More stars are better. Stars compare a group with others of the "
            "same kind, like ACOs with ACOs. Not rated means a result got no stars because too "
            "few of the group's own members were counted. Such a result can be high or low by "
            "chance. Sometimes no group gets stars on a result, because all the results were too "
            "close to tell apart.",
        ),
        (
            "Estrellas",
            ["estrellas", "estrella"],
            "Una calificación de 1 a 5. Más estrellas es mejor. Las estrellas comparan un grupo "
            "con otros del mismo tipo, por ejemplo una ACO con otras ACO. Sin estrellas quiere "
            "decir que se contaron muy pocos miembros del propio grupo. Un resultado así puede "
            "ser alto o bajo por azar. A veces ningún grupo recibe estrellas en un resultado, "
            "porque todos los resultados estaban demasiado cerca para distinguirlos.",
        ),
    ),
    _term(
        "program",
        (
            "The program as a whole",
            ["program as a whole", "whole program"],
            "All ACOs and Community Partners together. We compare each group with this total.",
        ),
        (
            "Todo el programa",
            ["todo el programa"],
            "Todas las ACO y todos los Community Partners juntos. Comparamos cada grupo con este "
            "total.",
        ),
    ),
    _term(
        "likely_range",
        (
            "Likely range",
            ["likely range"],
            "The true result is very likely to be in this range. Results from small groups have "
            "wider ranges.",
        ),
        (
            "Rango probable",
            ["rango probable"],
            "Es muy probable que el resultado real esté en este rango. Los grupos pequeños tienen "
            "rangos más amplios.",
        ),
    ),
    _term(
        "hidden",
        (
            "Results not shown",
            ["not shown"],
            "We do not show a result when too few people are behind it: fewer than 11, and for "
            "most results fewer than 30. We also hide a result when it could be used to work "
            "out another hidden number. This keeps members' health information private.",
        ),
        (
            "Resultados que no se muestran",
            ["no se muestra", "no se muestran"],
            "No mostramos un resultado cuando hay muy pocas personas detrás: menos de 11, y en "
            "la mayoría de los resultados menos de 30. También ocultamos un resultado cuando "
            "podría servir para calcular otro número oculto. Así protegemos la información de "
            "salud de los miembros.",
        ),
    ),
    _term(
        "risk_score",
        (
            "Risk score",
            ["risk scores", "risk score", "risk-adjusted", "how sick"],
            "A number that shows how much care members are likely to need. It is based on their "
            "age and health problems. A score of 1.0 means the same needs as an average person "
            "on Medicare. A lower score means fewer needs, and a higher score means more.",
        ),
        (
            "Puntaje de riesgo",
            ["puntaje de riesgo", "ajustado al riesgo"],
            "Un número que muestra cuánta atención es probable que necesiten los miembros. Se basa "
            "en su edad y sus problemas de salud. Un puntaje de 1.0 quiere decir las mismas "
            "necesidades que una persona promedio de Medicare. Un puntaje más bajo quiere decir "
            "menos necesidades, y uno más alto, más.",
        ),
    ),
    _term(
        "readmission",
        (
            "Readmission",
            ["readmissions", "readmission", "going back to the hospital"],
            "Going back into the hospital soon after leaving it.",
        ),
        (
            "Reingreso",
            ["reingresos", "reingreso", "volver al hospital"],
            "Volver a entrar al hospital poco después de salir.",
        ),
    ),
    _term(
        "screening",
        (
            "Screening",
            ["screenings", "screening"],
            "A test to find a health problem early, before there are signs of it.",
        ),
        (
            "Prueba de detección",
            ["pruebas de detección", "prueba de detección"],
            "Una prueba para encontrar un problema de salud temprano, antes de que haya señales.",
        ),
    ),
    _term(
        "copd",
        (
            "COPD",
            ["COPD"],
            "Chronic obstructive pulmonary disease. A long-term lung disease that makes it hard to "
            "breathe.",
        ),
        (
            "EPOC",
            ["EPOC"],
            "Enfermedad pulmonar obstructiva crónica. Una enfermedad de los pulmones de larga "
            "duración que hace difícil respirar.",
        ),
    ),
    _term(
        "sud",
        (
            "SUD (substance use disorder)",
            ["substance use disorder", "drug use disorder", "SUD"],
            "An illness where using alcohol or drugs harms a person's health or life.",
        ),
        (
            "Trastorno por consumo de sustancias",
            ["trastorno por consumo"],
            "Una enfermedad en la que el consumo de alcohol o drogas daña la salud o la vida de la "
            "persona.",
        ),
    ),
    _term(
        "smi",
        (
            "Serious mental illness",
            ["serious mental illness"],
            "A mental illness that makes daily life very hard, like schizophrenia or bipolar "
            "disorder.",
        ),
        (
            "Enfermedad mental grave",
            ["enfermedad mental grave", "enfermedades mentales graves"],
            "Una enfermedad mental que hace muy difícil la vida diaria, como la esquizofrenia o el "
            "trastorno bipolar.",
        ),
    ),
    _term(
        "a1c",
        (
            "A1c",
            ["HbA1c", "A1c"],
            "A blood test. It shows the average blood sugar over the past few months.",
        ),
        (
            "A1c",
            ["HbA1c", "A1c"],
            "Un análisis de sangre. Muestra el promedio del azúcar en la sangre en los últimos "
            "meses.",
        ),
    ),
    _term(
        "report_period",
        (
            "Report period",
            ["last report", "quarter"],
            "Results are made every three months, for each quarter of the year. Some results look "
            "back over the whole year before the end of the quarter. They are compared with the "
            "year before. The others are compared with the last report.",
        ),
        (
            "Período del informe",
            ["informe anterior", "trimestre"],
            "Los resultados se hacen cada tres meses, para cada trimestre del año. Algunos miran "
            "todo el año anterior al final del trimestre. Se comparan con el año anterior. Los "
            "demás se comparan con el informe anterior.",
        ),
    ),
    _term(
        "assessment_review",
        (
            "Review of how a CP works",
            ["review", "focus area"],
            "Reviewers for MassHealth read a Community Partner's reports and talk with its "
            "leaders. They rate its work in a few areas: On track, On track with limited "
            "recommendations, "
            "or Opportunity for improvement.",
        ),
        (
            "Revisión de cómo trabaja un CP",
            ["revisión"],
            "Un equipo revisor de MassHealth lee los informes de un Community Partner y habla con "
            "sus líderes. Califica su trabajo en algunas áreas: en buen camino, en buen camino con "
            "algunas recomendaciones, u oportunidad de mejorar.",
        ),
    ),
)
GLOSSARY_BY_KEY: dict[str, Term] = {t.key: t for t in GLOSSARY}

# ---------------------------------------------------------------- helpers


def t(lang: str, key: str, **values: object) -> str:
    """Return the UI text `key` in `lang` (English when missing), filled with `values`."""
    text = UI.get(lang, UI["en"]).get(key) or UI["en"][key]
    return text.format(**values) if values else text


def month_name(month: int, lang: str) -> str:
    """Return the name of a month (1-12) in `lang`."""
    return MONTHS.get(lang, MONTHS["en"])[month - 1]


def date_words(value: date, lang: str) -> str:
    """Return 'December 31, 2025' (as US readers write a date) or '31 de diciembre de 2025'."""
    if lang == "es":
        return f"{value.day} de {month_name(value.month, lang)} de {value.year}"
    return f"{month_name(value.month, lang)} {value.day}, {value.year}"


def month_year_words(value: date, lang: str) -> str:
    """Return 'December 2025' or 'diciembre de 2025'."""
    joiner = " de " if lang == "es" else " "
    return f"{month_name(value.month, lang)}{joiner}{value.year}"


def join_words(words: list[str], lang: str) -> str:
    """Return 'a', 'a and b', 'a, b and c' (or with 'y')."""
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} {t(lang, 'and')} {words[-1]}"


def period_words(period_id: str, lang: str) -> str:
    """Return a quarter in words: 'October to December 2025', 'octubre a diciembre de 2025'."""
    match = re.fullmatch(r"(\d{4})[-_ ]?[Qq]([1-4])", str(period_id))
    if not match:
        return str(period_id)
    year, quarter = match[1], int(match[2])
    first, last = month_name(3 * quarter - 2, lang), month_name(3 * quarter, lang)
    if lang == "es":
        return f"{first} a {last} de {year}"
    return f"{first} to {last} {year}"


def period_end_words(period_id: str, lang: str) -> str:
    """Return the last month of a quarter in words: 'December 2025', 'diciembre de 2025'."""
    match = re.fullmatch(r"(\d{4})[-_ ]?[Qq]([1-4])", str(period_id))
    if not match:
        return str(period_id)
    month = month_name(3 * int(match[2]), lang)
    return f"{month} de {match[1]}" if lang == "es" else f"{month} {match[1]}"


# Contacts (the help_contact setting) said otherwise in Spanish than "a " + the name.
CONTACTS_ES = {"MassHealth Customer Service": "al Servicio al Cliente de MassHealth"}


def contact_words(contact: str, lang: str) -> str:
    """Return who members can call as the plain pages say it: the name in English, 'a' + the
    name in Spanish ('al Servicio al Cliente de MassHealth' for the demo's)."""
    if lang != "es":
        return contact
    return CONTACTS_ES.get(contact, f"a {contact}")


def stars_words(stars: float, lang: str) -> str:
    """Return '4 out of 5 stars' / '4 de 5 estrellas' (half stars as 3.5; '1 out of 5 stars':
    the plural is the five's)."""
    number = f"{round(float(stars) * 2) / 2:g}"
    return f"{number} de 5 estrellas" if lang == "es" else f"{number} out of 5 stars"


def reward_words(reward: float) -> str:
    """Return the short note of a reward factor: 'includes +0.2 for consistently high
    ratings'."""
    return f"includes +{reward:.1f} for consistently high ratings"


def stars_meaning(stars: float, lang: str) -> str:
    """Return what a number of stars says in words: 'better than most'."""
    words = STAR_WORDS.get(lang, STAR_WORDS["en"])
    index = min(4, max(0, int(float(stars) + 0.5) - 1))
    return words[index]


def unit_words(unit: str, lang: str) -> tuple[str, str, str]:
    """Return (prefix, suffix, words) for a unit in `lang`: its plainer or Spanish words if
    there are some, else as unit_marks reads it."""
    unit = (unit or "").strip()
    plain = UNITS_ES if lang == "es" else UNITS_EN_PLAIN
    if unit in plain:
        words = plain[unit]
        prefix = "$" if unit.startswith(("dollars", "$")) else ""
        if words.startswith("% "):
            return prefix, "%", words[2:]
        return prefix, "", words.replace("dólares ", "", 1) if prefix else words
    return unit_marks(unit)


@functools.lru_cache(maxsize=1024)  # a site has a few units and formats a million values
def unit_marks(unit: str) -> tuple[str, str, str]:
    """Return (prefix, suffix, words) for a unit: '%'/'percent of x' -> ('', '%', 'of x')."""
    unit = (unit or "").strip()
    for word, prefix, suffix in UNIT_MARKS:
        if unit == word or unit.startswith(word + " "):
            return prefix, suffix, unit[len(word) :].strip()
    return "", "", unit


def value_words(value: float, unit: str, decimals: int, lang: str) -> str:
    """Return a value with its unit in `lang`: '72.4% of members', '72.4% de los miembros',
    'a risk score of 0.33. A score of 1.0 means ...', '23 tries for every 100 members ...'."""
    prefix, suffix, words = unit_words(unit, lang)
    scale = PLAIN_SCALES.get((unit or "").strip(), 1)
    places = max(0, int(decimals) - len(str(scale)) + 1)
    number = marked(f"{float(value) * scale:,.{places}f}", prefix, suffix)
    return words.format(n=number) if "{n}" in words else f"{number} {words}".strip()


def marked(number: str, prefix: str, suffix: str) -> str:
    """Return a formatted number with its marks, the sign first: '-$31', '$97', '4.5%'."""
    sign, digits = ("-", number[1:]) if number.startswith("-") else ("", number)
    return f"{sign}{prefix}{digits}{suffix}"


def group_value(value: str, lang: str) -> str:
    """Return a stratum value (e.g. 'female', 'Spanish', '65+') as shown in `lang`."""
    table = VALUE_ES if lang == "es" else VALUE_EN
    return table.get(str(value), str(value))
