-- The BioScope language server for Neovim 0.11+ (`vim.lsp.config`): Neovim reads this file
-- from the runtimepath, so `vim.lsp.enable('bioscope')` is enough once this directory is on
-- it. Override any field with `vim.lsp.config('bioscope', { ... })`, or use
-- `require('bioscope').setup({ ... })`.
return {
  cmd = { 'bioscope', 'lsp' },
  filetypes = { 'markdown', 'tex', 'plaintex', 'text', 'rmd', 'quarto' },
  root_markers = { '.bioscope', '.git' },
  -- Sent as initializationOptions and workspace/didChangeConfiguration (an empty Lua table
  -- would become a JSON array).
  init_options = { bioscope = vim.empty_dict() },
  settings = { bioscope = vim.empty_dict() },
  handlers = {
    ['bioscope/status'] = function(_, params, ctx)
      require('bioscope').on_status(params, ctx)
    end,
  },
}
