#include "admin/csv_table.h"

#include <gtest/gtest.h>

namespace baraza::admin {
namespace {

TEST(SpreadsheetSafeCell, ACellAFormulaWouldRunFromGoesOutAsText) {
  for (std::string formula :
       {"=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"})
    EXPECT_EQ(spreadsheetSafeCell(formula), "'" + formula) << formula;
}

TEST(SpreadsheetSafeCell, OrdinaryTextIsLeftAlone) {
  for (std::string text : {"", "Opening hours?", "a=b", "'", "'quoted", "5"})
    EXPECT_EQ(spreadsheetSafeCell(text), text) << text;
}

TEST(SpreadsheetSafeCell, EveryCellComesBackExactly) {
  for (std::string text : {"=1", "'=1", "''=1", "''", "'", "'a", "-", "'-", "@", "plain", ""}) {
    EXPECT_EQ(cellFromSpreadsheet(spreadsheetSafeCell(text)), text) << text;
    char first = spreadsheetSafeCell(text).empty() ? ' ' : spreadsheetSafeCell(text)[0];
    EXPECT_TRUE(first != '=' && first != '+' && first != '-' && first != '@') << text;
  }
}

}  // namespace
}  // namespace baraza::admin
