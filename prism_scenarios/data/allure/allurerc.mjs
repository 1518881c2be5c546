// Allure Report 3 config for `prism-scenarios run` / `report`.
// PRISM_ALLURE_SINGLE_FILE=0 renders a multi-file report instead of one shareable index.html.
// Categories come from the categories.json our pytest plugin writes into the results
// (prism_scenarios/allure_bridge.py is the one source): Allure 3 reads them from config, not
// results. `prism-scenarios` copies this file next to the installed CLI (report.py).
import { existsSync, readFileSync } from "node:fs";
import { defineConfig } from "allure";

const categoriesFile = process.env.PRISM_ALLURE_CATEGORIES;
const categories = categoriesFile && existsSync(categoriesFile)
  ? JSON.parse(readFileSync(categoriesFile, "utf8"))
  : undefined;

export default defineConfig({
  name: "prism-scenarios",
  ...(categories ? { categories } : {}),
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
