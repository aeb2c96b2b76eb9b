//! Patients: one per person, with the regional identifier every query for "this patient"
//! starts from, the national INS when the identity is qualified, and each facility's own
//! patient number (IPP).

use serde_json::{Value, json};

use super::random::Random;
use super::tables::{FACILITIES, FAMILY_NAMES, FEMALE_NAMES, MALE_NAMES};
use super::{Region, facilities};

/// The system of the regional patient identifier.
pub(crate) const REGIONAL_SYSTEM: &str = "https://sante-region.example.fr/fhir/sid/patient";

/// The INS-NIR, the national health identifier (DOMAIN.md).
const INS_NIR_SYSTEM: &str = "urn:oid:1.2.250.1.213.1.4.8";

/// Share of patients whose identity is qualified, and so carry their INS.
const QUALIFIED: f64 = 0.85;

/// Regional identifier values have ten digits.
const REGIONAL_MODULUS: u64 = 10_000_000_000;

/// A patient, as the resources about it need it.
pub(super) struct Patient {
    pub(super) full_url: String,
    pub(super) resource: Value,
    /// Indexes in `FACILITIES` of the facilities that know the patient; never empty.
    pub(super) facilities: Vec<usize>,
    pub(super) female: bool,
    pub(super) birth_year: u64,
}

/// The regional identifier value of the patient `index`: a bijection of the index (the
/// multiplier is prime to 10^10), so values are unique but not in order.
pub(super) fn regional_value(seed: u64, index: u64) -> String {
    let scrambled = (u128::from(index) * 2_654_435_761 + u128::from(seed % REGIONAL_MODULUS))
        % u128::from(REGIONAL_MODULUS);
    format!("{scrambled:010}")
}

pub(super) fn patient(region: &Region, index: u64, random: &mut Random) -> Patient {
    let full_url = format!("urn:uuid:{}", random.uuid());
    let female = random.chance(0.52);
    let birth_year = birth_year(random);
    let facilities = known_by(random);
    let (family, given) = name(random, female);
    let mut identifiers = vec![json!({"use": "official", "system": REGIONAL_SYSTEM,
                                      "value": regional_value(region.seed(), index)})];
    if random.chance(QUALIFIED) {
        identifiers
            .push(json!({"system": INS_NIR_SYSTEM, "value": nir(random, female, birth_year)}));
    }
    identifiers.extend(facilities.iter().map(|&f| ipp(f, random)));
    let birth_date =
        format!("{birth_year}-{:02}-{:02}", random.between(1, 12), random.between(1, 28));
    let town = FACILITIES[facilities[0]].town;
    let resource = json!({
        "resourceType": "Patient",
        "identifier": identifiers,
        "active": true,
        "name": [{"use": "official", "family": family, "given": [given]}],
        "gender": if female { "female" } else { "male" },
        "birthDate": birth_date,
        "address": [{"use": "home", "city": town, "country": "FR"}],
        "managingOrganization": facilities::organization_reference(facilities[0]),
    });
    Patient { full_url, resource, facilities, female, birth_year }
}

/// Older people are imaged more: birth years from 1930 to 2024, weighted towards 1940–1970.
fn birth_year(random: &mut Random) -> u64 {
    let decades = [
        (1930, 1.0),
        (1940, 2.0),
        (1950, 2.5),
        (1960, 2.0),
        (1970, 1.5),
        (1980, 1.2),
        (1990, 1.0),
        (2000, 0.7),
        (2010, 0.5),
        (2020, 0.2),
    ];
    let decade = *random.weighted(&decades);
    (decade + random.below(10)).min(2024)
}

/// One to three facilities, the first being where the patient is best known.
fn known_by(random: &mut Random) -> Vec<usize> {
    let count = *random.weighted(&[(1, 0.55), (2, 0.3), (3, 0.15)]);
    let mut known: Vec<usize> = Vec::with_capacity(count);
    while known.len() < count {
        let facility = random.below(FACILITIES.len() as u64) as usize;
        if !known.contains(&facility) {
            known.push(facility);
        }
    }
    known
}

fn name(random: &mut Random, female: bool) -> (&'static str, &'static str) {
    let given = if female { *random.pick(&FEMALE_NAMES) } else { *random.pick(&MALE_NAMES) };
    (*random.pick(&FAMILY_NAMES), given)
}

/// A facility's own patient number (IPP), typed MR.
fn ipp(facility: usize, random: &mut Random) -> Value {
    json!({
        "use": "usual",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                             "code": "MR"}]},
        "system": facilities::ipp_system(facility),
        "value": format!("{:08}", random.below(100_000_000)),
    })
}

/// A NIR: sex, year and month of birth, place of birth and order, then its key
/// (97 minus the first thirteen digits modulo 97).
fn nir(random: &mut Random, female: bool, birth_year: u64) -> String {
    let sex = if female { 2 } else { 1 };
    let month = random.between(1, 12);
    let place = random.between(1, 95) * 1000 + random.between(1, 999);
    let order = random.between(1, 999);
    let body = format!("{sex}{:02}{month:02}{place:05}{order:03}", birth_year % 100);
    let number: u64 = body.parse().unwrap_or_default();
    format!("{body}{:02}", 97 - number % 97)
}
