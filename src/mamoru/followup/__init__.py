"""The plan's yearly follow-up: reporting rounds, indicators, prefectures, meetings, alignment, publication."""
