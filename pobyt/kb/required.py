"""Ids the project promises to cover (issue: foundation). The validator checks they exist."""

REQUIRED_PROCEDURES = (
    # protection
    "asylum", "subsidiary_protection", "humanitarian_residence",
    "tolerated_stay_expulsion_obstacle", "tolerated_stay_departure_impossible",
    "tolerated_stay_unaccompanied_minor", "tolerated_stay_other", "irregular_residence",
    "temporary_protection", "temporary_protection_transition", "report_stay", "voluntary_return",
    # work
    "posted_worker", "intra_corporate_transfer", "seasonal_worker", "undocumented_work",
    # temporary residence
    "temporary_residence", "temporary_residence_business", "temporary_residence_employment",
    "temporary_residence_study", "temporary_residence_family_reunion",
    "temporary_residence_slovak_living_abroad", "eu_blue_card",
    # permanent residence
    "permanent_residence", "permanent_residence_5_years", "permanent_residence_unlimited",
    "long_term_residence",
    # citizenship
    "citizenship_naturalization", "citizenship_by_birth", "citizenship_discretionary",
    "citizenship_by_adoption",
    # visas
    "visa_airport_transit", "visa_schengen", "visa_national", "visa_limited_territorial_validity",
    # documents and registrations
    "criminal_record_extract", "criminal_record_extract_slovakia", "apostille", "superlegalization",
    "no_special_verification", "judicial_translation", "power_of_attorney", "address_change",
    "id_card", "passport", "aliens_passport", "residence_card", "driving_license",
    "health_insurance_card", "birth_certificate", "marriage_certificate", "death_certificate",
)  # fmt: skip

REQUIRED_OFFICES = (
    "iom_mic", "human_rights_league", "marginal", "migration_office", "foreign_police",
    "ministry_of_interior", "ministry_of_foreign_affairs", "ministry_of_labour", "labour_office",
    "national_labour_inspectorate", "office_for_slovaks_abroad", "general_prosecutor",
    "slovak_embassies", "ukrainian_embassy", "registry_office", "health_insurance_companies", "unhcr",
)  # fmt: skip
