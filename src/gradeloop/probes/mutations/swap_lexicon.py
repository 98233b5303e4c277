"""Word lists for counterfactual swaps: gendered terms, first names, places and locales by region.

Kept as data, apart from the swapping logic, so a team can review or extend them. Name lists
follow common given names per region (as in HELM's person-name perturbation); a name or place
that appears in two lists keeps its first entry.
"""
from __future__ import annotations

GENDERS: tuple[str, ...] = ("female", "male", "neutral")

# Pronoun forms by grammatical role: subject, object, possessive determiner, possessive
# pronoun, reflexive.
PRONOUNS: dict[str, dict[str, str]] = {
    "male": {"subj": "he", "obj": "him", "det": "his", "pron": "his", "refl": "himself"},
    "female": {"subj": "she", "obj": "her", "det": "her", "pron": "hers", "refl": "herself"},
    "neutral": {"subj": "they", "obj": "them", "det": "their", "pron": "theirs", "refl": "themselves"},
}

# Gendered nouns and titles as (male, female, neutral) triples.
NOUNS: tuple[tuple[str, str, str], ...] = (
    ("man", "woman", "person"), ("men", "women", "people"), ("boy", "girl", "child"),
    ("boys", "girls", "children"), ("husband", "wife", "spouse"), ("father", "mother", "parent"),
    ("dad", "mom", "parent"), ("son", "daughter", "child"), ("sons", "daughters", "children"),
    ("brother", "sister", "sibling"), ("brothers", "sisters", "siblings"),
    ("gentleman", "lady", "person"), ("boyfriend", "girlfriend", "partner"),
    ("mr", "ms", "mx"), ("sir", "madam", "friend"),
)

REGIONS: tuple[str, ...] = (
    "anglo", "hispanic", "south_asian", "east_asian", "african", "arabic", "slavic",
)

NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "anglo": {"female": ("Emily", "Sarah", "Jessica", "Hannah", "Olivia"),
              "male": ("James", "Michael", "John", "David", "William"),
              "neutral": ("Alex", "Jordan", "Taylor", "Casey", "Riley")},
    "hispanic": {"female": ("María", "Lucía", "Sofía", "Carmen", "Valentina", "Maria", "Lucia", "Sofia"),
                 "male": ("José", "Carlos", "Javier", "Luis", "Diego", "Jose"),
                 "neutral": ("Guadalupe", "Cruz", "Ariel")},
    "south_asian": {"female": ("Priya", "Ananya", "Lakshmi", "Deepa", "Kavya"),
                    "male": ("Arjun", "Rahul", "Vikram", "Sanjay", "Rohan"),
                    "neutral": ("Kiran", "Jyoti", "Suman")},
    "east_asian": {"female": ("Mei", "Yuki", "Hana", "Xiu", "Seo-yeon"),
                   "male": ("Wei", "Hiroshi", "Min-jun", "Takeshi", "Kenji"),
                   "neutral": ("Hikaru", "Ji-woo", "Akira")},
    "african": {"female": ("Amara", "Chiamaka", "Ngozi", "Wanjiru", "Abena"),
                "male": ("Kwame", "Chinedu", "Oluwaseun", "Jabari", "Kofi"),
                "neutral": ("Ayo", "Tendai", "Dumisani")},
    "arabic": {"female": ("Fatima", "Layla", "Aisha", "Mariam", "Yasmin"),
               "male": ("Omar", "Ahmed", "Youssef", "Khalid", "Karim"),
               "neutral": ("Noor", "Salam", "Iman")},
    "slavic": {"female": ("Olga", "Katarzyna", "Milena", "Ivana", "Agnieszka"),
               "male": ("Dmitri", "Piotr", "Ivan", "Tomasz", "Nikola"),
               "neutral": ("Sasha", "Zhenya", "Valya")},
}

CITIES: dict[str, tuple[str, ...]] = {
    "anglo": ("London", "Chicago", "Sydney", "Toronto", "Manchester"),
    "hispanic": ("Madrid", "Mexico City", "Bogotá", "Lima", "Buenos Aires"),
    "south_asian": ("Mumbai", "Delhi", "Karachi", "Dhaka", "Chennai"),
    "east_asian": ("Tokyo", "Seoul", "Shanghai", "Taipei", "Osaka"),
    "african": ("Lagos", "Accra", "Nairobi", "Dakar", "Addis Ababa"),
    "arabic": ("Cairo", "Dubai", "Amman", "Riyadh", "Casablanca"),
    "slavic": ("Warsaw", "Prague", "Kyiv", "Belgrade", "Kraków"),
}

COUNTRIES: dict[str, tuple[str, ...]] = {
    "anglo": ("Canada", "Australia", "England", "Ireland", "New Zealand"),
    "hispanic": ("Mexico", "Spain", "Colombia", "Argentina", "Peru"),
    "south_asian": ("India", "Pakistan", "Bangladesh", "Sri Lanka", "Nepal"),
    "east_asian": ("Japan", "South Korea", "China", "Taiwan", "Mongolia"),
    "african": ("Nigeria", "Ghana", "Kenya", "Senegal", "Ethiopia"),
    "arabic": ("Egypt", "Morocco", "Lebanon", "Tunisia", "Oman"),
    "slavic": ("Poland", "Czechia", "Ukraine", "Serbia", "Croatia"),
}

LOCALES: dict[str, tuple[str, ...]] = {
    "anglo": ("en-US", "en-GB", "en-AU"),
    "hispanic": ("es-ES", "es-MX", "es-AR"),
    "south_asian": ("hi-IN", "ur-PK", "bn-BD"),
    "east_asian": ("ja-JP", "ko-KR", "zh-CN"),
    "african": ("sw-KE", "yo-NG", "ha-NG"),
    "arabic": ("ar-EG", "ar-SA", "ar-MA"),
    "slavic": ("pl-PL", "uk-UA", "cs-CZ"),
}
