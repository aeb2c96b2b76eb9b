//! The fixed vocabulary of the synthetic region: facilities, French names and towns, the
//! modality mix, body sites with typical doses, and report sentences in French.

/// A facility of the region: its id stem, name, town and FINESS number.
pub(super) struct Facility {
    pub(super) slug: &'static str,
    pub(super) name: &'static str,
    pub(super) town: &'static str,
    pub(super) finess: &'static str,
}

const fn facility(
    slug: &'static str,
    name: &'static str,
    town: &'static str,
    finess: &'static str,
) -> Facility {
    Facility { slug, name, town, finess }
}

/// Twenty facilities: three public hospital groups, clinics and imaging centres.
pub(super) const FACILITIES: [Facility; 20] = [
    facility("chu-nord", "CHU Nord", "Villeneuve", "100000017"),
    facility("chu-sud", "CHU Sud", "Saint-Pierre", "100000025"),
    facility("ch-ouest", "Centre hospitalier de l'Ouest", "Le Port", "100000033"),
    facility("ch-est", "Centre hospitalier de l'Est", "Saint-Benoît", "100000041"),
    facility("ch-hauts", "Centre hospitalier des Hauts", "Le Tampon", "100000058"),
    facility("clinique-pins", "Clinique des Pins", "Saint-Paul", "100000066"),
    facility("clinique-tamarins", "Clinique des Tamarins", "Villeneuve", "100000074"),
    facility("clinique-ocean", "Clinique de l'Océan", "Saint-Leu", "100000082"),
    facility("clinique-volcan", "Clinique du Volcan", "Saint-Pierre", "100000090"),
    facility("clinique-jardins", "Clinique des Jardins", "Sainte-Marie", "100000108"),
    facility("imagerie-centre", "Centre d'imagerie du Centre", "Villeneuve", "100000116"),
    facility("imagerie-mer", "Imagerie de la Mer", "Saint-Gilles", "100000124"),
    facility("imagerie-cirque", "Imagerie du Cirque", "Cilaos", "100000132"),
    facility("imagerie-plaine", "Cabinet de radiologie de la Plaine", "La Plaine", "100000140"),
    facility("imagerie-riviere", "Radiologie de la Rivière", "Saint-Louis", "100000157"),
    facility("imagerie-bois", "Imagerie du Bois", "Saint-André", "100000165"),
    facility("imagerie-phare", "Imagerie du Phare", "Sainte-Suzanne", "100000173"),
    facility("imagerie-source", "Centre de radiologie de la Source", "Bras-Panon", "100000181"),
    facility("scanner-ouest", "Scanner IRM de l'Ouest", "Saint-Paul", "100000199"),
    facility("medecine-nucleaire", "Médecine nucléaire régionale", "Villeneuve", "100000207"),
];

pub(super) const FAMILY_NAMES: [&str; 40] = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Müller",
    "Lefebvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Hoarau",
];

pub(super) const FEMALE_NAMES: [&str; 20] = [
    "Marie",
    "Jeanne",
    "Françoise",
    "Monique",
    "Catherine",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Anne",
    "Christine",
    "Sophie",
    "Céline",
    "Julie",
    "Émilie",
    "Chloé",
    "Léa",
    "Zoë",
    "Manon",
    "Camille",
    "Inès",
];

pub(super) const MALE_NAMES: [&str; 20] = [
    "Jean",
    "Pierre",
    "Michel",
    "André",
    "Philippe",
    "René",
    "Louis",
    "Alain",
    "Jacques",
    "Bernard",
    "Éric",
    "Stéphane",
    "Nicolas",
    "Julien",
    "Hugo",
    "Lucas",
    "Théo",
    "Noé",
    "Raphaël",
    "Gaël",
];

/// The imaging modalities (DICOM codes) and their share of a region's exams.
pub(super) const MODALITY_MIX: [(&str, f64); 9] = [
    ("DX", 24.0),
    ("CR", 20.0),
    ("US", 19.0),
    ("CT", 17.0),
    ("MR", 11.0),
    ("MG", 6.0),
    ("XA", 1.5),
    ("NM", 1.0),
    ("PT", 0.5),
];

/// What a study of a modality was: a body site (SNOMED CT), a French title, and a typical
/// headline dose in the unit of the modality's dose report (0 when it does not irradiate).
pub(super) struct Exam {
    pub(super) site_code: &'static str,
    pub(super) site_display: &'static str,
    pub(super) title: &'static str,
    pub(super) typical_dose: f64,
}

const fn exam(
    site_code: &'static str,
    site_display: &'static str,
    title: &'static str,
    typical_dose: f64,
) -> Exam {
    Exam { site_code, site_display, title, typical_dose }
}

/// The exams of each modality; CT doses are DLP (mGy.cm), radiography and angiography DAP
/// (mGy.cm2), mammography average glandular dose (mGy).
pub(super) fn exams(modality: &str) -> &'static [Exam] {
    match modality {
        "CT" => &CT_EXAMS,
        "DX" | "CR" => &RADIOGRAPHY_EXAMS,
        "XA" => &ANGIOGRAPHY_EXAMS,
        "MG" => &MAMMOGRAPHY_EXAMS,
        "MR" => &MR_EXAMS,
        "US" => &US_EXAMS,
        _ => &NUCLEAR_EXAMS,
    }
}

const CT_EXAMS: [Exam; 5] = [
    exam("69536005", "Head structure", "Scanner cérébral", 900.0),
    exam("51185008", "Thoracic structure", "Scanner thoracique", 350.0),
    exam("818983003", "Abdomen", "Scanner abdominal", 500.0),
    exam("12921003", "Pelvis", "Scanner pelvien", 400.0),
    exam("416775004", "Chest, abdomen and pelvis", "Scanner thoraco-abdomino-pelvien", 800.0),
];

const RADIOGRAPHY_EXAMS: [Exam; 4] = [
    exam("51185008", "Thoracic structure", "Radiographie thoracique", 150.0),
    exam("12921003", "Pelvis", "Radiographie du bassin", 1800.0),
    exam("72696002", "Knee region structure", "Radiographie du genou", 60.0),
    exam("421060004", "Spinal column structure", "Radiographie du rachis lombaire", 2500.0),
];

const ANGIOGRAPHY_EXAMS: [Exam; 2] = [
    exam("80891009", "Heart structure", "Coronarographie", 40_000.0),
    exam("69536005", "Head structure", "Artériographie cérébrale", 80_000.0),
];

const MAMMOGRAPHY_EXAMS: [Exam; 1] = [exam("76752008", "Breast structure", "Mammographie", 1.4)];

const MR_EXAMS: [Exam; 3] = [
    exam("69536005", "Head structure", "IRM cérébrale", 0.0),
    exam("72696002", "Knee region structure", "IRM du genou", 0.0),
    exam("421060004", "Spinal column structure", "IRM du rachis lombaire", 0.0),
];

const US_EXAMS: [Exam; 2] = [
    exam("818983003", "Abdomen", "Échographie abdominale", 0.0),
    exam("45048000", "Neck structure", "Échographie thyroïdienne", 0.0),
];

const NUCLEAR_EXAMS: [Exam; 2] = [
    exam("38266002", "Entire body as a whole", "Scintigraphie osseuse", 0.0),
    exam("38266002", "Entire body as a whole", "TEP-TDM au FDG", 0.0),
];

/// Conclusions of reports, in French, as radiologists write them.
pub(super) const CONCLUSIONS: [&str; 10] = [
    "Examen sans particularité.",
    "Pas d'anomalie décelable.",
    "Absence de lésion évolutive par rapport à l'examen précédent.",
    "Nodule de 6 mm, contrôle conseillé à douze mois.",
    "Aspect compatible avec une arthrose modérée.",
    "Épanchement de faible abondance, sans signe de gravité.",
    "Discrète majoration des lésions connues, à confronter au contexte clinique.",
    "Pas de fracture visible. Tuméfaction des parties molles.",
    "Résultat rassurant, aucune image suspecte.",
    "Image indéterminée justifiant un complément d'exploration.",
];

/// Document kinds: LOINC code, display, and the French title of the note.
pub(super) const DOCUMENT_TYPES: [(&str, &str, &str); 4] = [
    ("18748-4", "Diagnostic imaging study", "Compte rendu d'imagerie"),
    ("11488-4", "Consult note", "Compte rendu de consultation"),
    ("18842-5", "Discharge summary", "Lettre de liaison de sortie"),
    ("57133-1", "Referral note", "Courrier d'adressage"),
];

/// Sentences the small inline notes are made of.
pub(super) const NOTE_SENTENCES: [&str; 6] = [
    "Patient vu ce jour en consultation de suivi.",
    "Les examens d'imagerie récents ont été revus avec le patient.",
    "Pas de nouvel élément depuis la dernière visite.",
    "Traitement poursuivi sans modification.",
    "Prochain contrôle prévu dans six mois.",
    "Courrier adressé au médecin traitant.",
];
