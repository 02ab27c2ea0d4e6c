"""The dashboard's figures and the run history as data, and the HTML report.

Pure pandas: ``kpis`` computes the figures and their tiles, ``history`` this run's row of
the run history, ``html`` the self-contained HTML report. The 仪表盘 and 运行记录 sheets are
laid out by :mod:`sheetcrm.sheets.dashboard` and :mod:`sheetcrm.sheets.history`.
"""
