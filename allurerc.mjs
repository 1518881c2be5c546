// Allure Report 3 config for `prism-scenarios run` / `report`.
// PRISM_ALLURE_SINGLE_FILE=0 renders a multi-file report instead of one shareable index.html.
import { defineConfig } from "allure";

export default defineConfig({
  name: "prism-scenarios",
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
