"""The sheets sheetcrm writes: one module per sheet, its layout out and staff's edits back in.

The engine takes and returns frames and never sees a header; these modules are where a frame
becomes a sheet (headers, widths, formats, formulas) and where a sheet staff edited becomes a
frame again. The doors (file, LibreOffice, Excel, CLI) write what these modules lay out.
"""
