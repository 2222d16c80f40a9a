"""The documented schema of the national panel (``data/china_city_panel.csv``): every column with
its kind, unit and description, in the format of ``helpers.data.PANEL_SCHEMA``."""

_YB = "China City Statistical Yearbook"
_EMP = "employment in urban units, 10k persons: "

#: Schema of the national panel, in the format of ``helpers.data.PANEL_SCHEMA``
#: (column -> (kind, unit, description)). Flags are 0/1 and declared as shares.
CHINA_SCHEMA = {
    "city": (
        "key",
        "",
        "English name (pinyin; customary for 26 units), province added where two share one",
    ),
    "year": ("key", "", "calendar year (integer)"),
    "code": ("id", "", "6-digit administrative code (2020 division)"),
    "region": ("id", "", "Guangdong's four regions (PRD, East, West, North); Other elsewhere"),
    "gdp": ("level", "100 million yuan", "gross domestic product, current prices (city accounts)"),
    "va_primary": ("level", "100 million yuan", "value added, primary industry"),
    "va_secondary": (
        "level",
        "100 million yuan",
        "value added, secondary industry (industry and construction)",
    ),
    "va_tertiary": ("level", "100 million yuan", "value added, tertiary industry"),
    "loans": ("level", "100 million yuan", "year-end loan balance of financial institutions"),
    "deposits": ("level", "100 million yuan", "year-end deposit balance of financial institutions"),
    "land_area_km2": ("level", "km2", "administrative land area"),
    "population": ("level", "10k persons", "year-end resident population (常住人口)"),
    "population_interpolated": (
        "share",
        "flag (0/1)",
        "1 where the source interpolated population",
    ),
    "fdi_usd_million": ("level", "million US dollars", "foreign direct investment actually used"),
    "ccsy_edition": ("index", "year", f"edition of the {_YB} (data year + 1)"),
    "internet_users_10k_hh": (
        "level",
        "10k households",
        (
            "internet users to 2011, broadband "
            "subscribers from 2012 (definition break; see internet_users_definition)"
        ),
    ),
    "internet_intl_users_10k_hh": (
        "level",
        "10k households",
        "international internet users (to 2011)",
    ),
    "broadband_users_10k_hh": (
        "level",
        "10k households",
        "broadband access subscribers (from 2012)",
    ),
    "mobile_users_10k_hh": ("level", "10k households", "mobile telephone subscribers"),
    "fixed_phone_users_10k_hh": (
        "level",
        "10k households",
        "fixed telephone subscribers (to 2016)",
    ),
    "telecom_revenue_10k_yuan": (
        "level",
        "10,000 yuan",
        "telecommunication revenue (2005-06, 2011-)",
    ),
    "telecom_volume_10k_yuan": (
        "level",
        "10,000 yuan",
        "telecommunication business volume (2007-10)",
    ),
    "postal_revenue_10k_yuan": ("level", "10,000 yuan", "postal revenue"),
    "postal_volume_10k_yuan": ("level", "10,000 yuan", "postal business volume"),
    "sci_tech_expenditure_10k_yuan": (
        "level",
        "10,000 yuan",
        "public science and technology expenditure",
    ),
    "general_budget_expenditure_10k_yuan": (
        "level",
        "10,000 yuan",
        "general public budget expenditure",
    ),
    "patents_applied": ("count", "count", "patent applications (2017-2019)"),
    "patents_granted": ("count", "count", "patents granted (2017-2023)"),
    "invention_patents_granted": ("count", "count", "invention patents granted (2017-2023)"),
    "rd_personnel": ("count", "persons", "R&D personnel (2017-2019, sparse)"),
    "rd_internal_expenditure_10k_yuan": (
        "level",
        "10,000 yuan",
        "internal R&D expenditure (2017-2019, sparse)",
    ),
    "ccsy_gdp_100m_yuan": ("level", "100 million yuan", f"GDP as printed in the {_YB}"),
    "ccsy_pop_registered_10k": ("level", "10k persons", f"registered (hukou) population, {_YB}"),
    "ccsy_pop_resident_10k": ("level", "10k persons", f"resident population, {_YB}"),
    "flag_internet_yoy_jump": (
        "share",
        "flag (0/1)",
        "internet users x2 or x0.5 the year before (source flag)",
    ),
    "flag_mobile_yoy_jump": (
        "share",
        "flag (0/1)",
        "mobile users x2 or x0.5 the year before (source flag)",
    ),
    "flag_internet_gt_pop": (
        "share",
        "flag (0/1)",
        "internet users above population (source flag)",
    ),
    "flag_zero_value": ("share", "flag (0/1)", "a zero value in the row (source flag)"),
    "employment": ("level", "10k persons", "employment in urban units, sum of the 19 industries"),
    "employment_nonagri": (
        "level",
        "10k persons",
        "employment in urban units, the 18 non-agricultural industries",
    ),
    "emp_agriculture": (
        "level",
        "10k persons",
        _EMP + "agriculture, forestry, animal husbandry, fishery",
    ),
    "emp_mining": ("level", "10k persons", _EMP + "mining"),
    "emp_manufacturing": ("level", "10k persons", _EMP + "manufacturing"),
    "emp_utilities": ("level", "10k persons", _EMP + "electricity, gas and water supply"),
    "emp_construction": ("level", "10k persons", _EMP + "construction"),
    "emp_transport": ("level", "10k persons", _EMP + "transport, storage and post"),
    "emp_ict": (
        "level",
        "10k persons",
        _EMP + "information transmission, software and IT services",
    ),
    "emp_wholesale_retail": ("level", "10k persons", _EMP + "wholesale and retail"),
    "emp_hotel_catering": ("level", "10k persons", _EMP + "hotels and catering"),
    "emp_finance": ("level", "10k persons", _EMP + "finance"),
    "emp_real_estate": ("level", "10k persons", _EMP + "real estate"),
    "emp_leasing_business": ("level", "10k persons", _EMP + "leasing and business services"),
    "emp_research_tech": (
        "level",
        "10k persons",
        _EMP + "scientific research and technical services",
    ),
    "emp_water_env": ("level", "10k persons", _EMP + "water, environment and public facilities"),
    "emp_resident_services": ("level", "10k persons", _EMP + "resident and other services"),
    "emp_education": ("level", "10k persons", _EMP + "education"),
    "emp_health_social": ("level", "10k persons", _EMP + "health and social work"),
    "emp_culture_sports": ("level", "10k persons", _EMP + "culture, sports and entertainment"),
    "emp_public_admin": (
        "level",
        "10k persons",
        _EMP + "public administration and social organisations",
    ),
    "emp_coverage_2013": (
        "share",
        "flag (0/1)",
        (
            "1 from 2013: the wider urban-unit coverage after the "
            "2013 economic census (levels break 2012->2013)"
        ),
    ),
    "broadband_china_cohort": (
        "index",
        "year",
        (
            "first Broadband China designation of any entity in the "
            "prefecture (2014-2016); empty if never"
        ),
    ),
    "broadband_china_city_cohort": (
        "index",
        "year",
        (
            "first designation of the whole prefecture "
            "(city, cluster member or autonomous prefecture)"
        ),
    ),
    "broadband_china_single_source": (
        "share",
        "flag (0/1)",
        ("1 where the first designation rests on one source (part of the 2015 list)"),
    ),
}
#: Text columns carried through unchanged (not validated as numbers).
CHINA_TEXT_COLUMNS = (
    "name_zh",
    "province",
    "province_zh",
    "city_type",
    "internet_users_definition",
    "broadband_china_entity",
)
#: Columns the source fills for every city-year it covers (GDP accounts).
