"""The plan registry: plans, pillars, measures, agencies, bodies, definitions, prefectures, timeline."""
