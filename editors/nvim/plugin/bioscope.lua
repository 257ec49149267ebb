-- BioScope: highlight groups for the entity types and the :Bioscope* user commands. The server
-- starts with `vim.lsp.enable('bioscope')` (lsp/bioscope.lua) or `require('bioscope').setup()`.
require('bioscope').init()
