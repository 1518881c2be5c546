// Allure Report 3 config for `prism-scenarios run` / `report`.
// PRISM_ALLURE_SINGLE_FILE=0 renders a multi-file report instead of one shareable index.html.
// Categories come from the categories.json our pytest plugin writes into the results
// (prism_scenarios/allure_bridge.py is the one source): Allure 3 reads them from config, not
// results. History (trends, new and flaky failures): report.py passes a working copy of
// REPORT_DIR/history.jsonl in PRISM_ALLURE_HISTORY, the number of runs to keep in
// PRISM_ALLURE_HISTORY_LIMIT. `prism-scenarios` copies this file next to the installed CLI
// (report.py).
import { existsSync, readFileSync } from "node:fs";
import { defineConfig } from "allure";

const categoriesFile = process.env.PRISM_ALLURE_CATEGORIES;
const categories = categoriesFile && existsSync(categoriesFile)
  ? JSON.parse(readFileSync(categoriesFile, "utf8"))
  : undefined;

const historyPath = process.env.PRISM_ALLURE_HISTORY || undefined;
const historyLimit = Number.parseInt(process.env.PRISM_ALLURE_HISTORY_LIMIT ?? "", 10);
const history = historyPath
  ? {
      historyPath,
      ...(Number.isInteger(historyLimit) && historyLimit >= 0 ? { historyLimit } : {}),
    }
  : {};

export default defineConfig({
  name: "prism-scenarios",
  ...(categories ? { categories } : {}),
  ...history,
  plugins: {
    awesome: {
      options: {
        singleFile: process.env.PRISM_ALLURE_SINGLE_FILE !== "0",
        reportLanguage: "en",
        groupBy: ["parentSuite", "suite", "story"],
      },
    },
  },
});
