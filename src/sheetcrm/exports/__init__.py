"""Files sheetcrm writes beside the workbook (calendars, CSV, e-mails): the file door's outputs.

Like the sheet layouts, they are made from the engine's frames and never feed back into it.
"""
