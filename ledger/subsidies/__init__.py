"""Tuition subsidies (学费补贴): policies as data files, pure eligibility rules, claims reviewed level by
level, quota places first come first served by submission time, payments per funder, public notice (公示).
"""
