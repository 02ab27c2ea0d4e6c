"""The Excel door: worksheet functions (UDFs) and ribbon buttons, via xlwings.

Everything here is a thin adapter over the engine; on machines without Excel
the xlwings decorators only attach metadata, so every UDF is a plain function.
"""
