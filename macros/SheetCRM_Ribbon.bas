Attribute VB_Name = "SheetCRM_Ribbon"
' SheetCRM ribbon: every button calls OnButton, which hands the button's id to Python
' (sheetcrm.excel.buttons.on_button), so the ribbon never needs its own VBA per button.
' Keep this file ASCII: the VBA project uses code page 1252 (see CrmText for Chinese text).
Option Explicit

Public Sub OnButton(control As IRibbonControl)
    RunPython "from sheetcrm.excel.buttons import on_button; on_button('" & control.Id & "')"
End Sub

' Text given as UTF-16 code units in hex (4 digits each), e.g. CrmText("5BA26237") = ChrW(&H5BA2) & ChrW(&H6237).
Public Function CrmText(ByVal codes As String) As String
    Dim i As Long
    For i = 1 To Len(codes) Step 4
        CrmText = CrmText & ChrW(CLng("&H" & Mid(codes, i, 4)))
    Next i
End Function
