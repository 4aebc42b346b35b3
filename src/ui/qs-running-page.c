/* qs-running-page.c: progress of a running analysis with its live table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "qs-running-page.h"
#include "qs-ui-util.h"

struct _QsRunningPage
{
  GtkWidget       parent_instance;

  GtkLabel       *title_label;
  GtkWidget      *cancel_button;
  GtkProgressBar *progress_bar;
  GtkLabel       *layers_label;
  GtkLabel       *current_label;
  GtkLabel       *eta_label;
  QsLayerTable   *layer_table;

  QsAnalysisJob  *job;
  GBinding       *fraction_binding;
  gulong          notify_id;

  guint           stopping : 1;
};

G_DEFINE_FINAL_TYPE (QsRunningPage, qs_running_page, GTK_TYPE_WIDGET)

static void
update_progress (QsRunningPage *self)
{
  guint done = qs_analysis_job_get_layers_done (self->job);
  guint total = qs_analysis_job_get_layers_total (self->job);
  double eta = qs_analysis_job_get_eta_seconds (self->job);
  g_autofree char *current = qs_analysis_job_dup_current_layer (self->job);
  g_autofree char *layers = NULL;
  g_autofree char *eta_text = NULL;
  g_autofree char *percent = NULL;

  if (total > 0)
    /* Translators: progress, "12 of 56 layers" */
    layers = g_strdup_printf (ngettext ("%u of %u layer", "%u of %u layers", total), done, total);
  else
    layers = g_strdup (_("Listing layers…"));
  gtk_label_set_text (self->layers_label, layers);

  if (self->stopping)
    gtk_label_set_text (self->current_label, _("Stopping after the current layer…"));
  else
    gtk_label_set_text (self->current_label, current != NULL ? current : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->current_label), current);

  if (eta >= 0)
    {
      g_autofree char *duration = qs_ui_format_duration (eta);

      /* Translators: the estimated time left, "about 2 min 05 s left" */
      eta_text = g_strdup_printf (_("about %s left"), duration);
    }
  gtk_label_set_text (self->eta_label, eta_text != NULL ? eta_text : "");

  percent = g_strdup_printf ("%.0f %%", 100.0 * qs_analysis_job_get_fraction (self->job));
  gtk_progress_bar_set_text (self->progress_bar, percent);
}

static void
job_notify_cb (QsRunningPage *self)
{
  update_progress (self);
}

static void
disconnect_job (QsRunningPage *self)
{
  if (self->job == NULL)
    return;

  g_clear_signal_handler (&self->notify_id, self->job);
  if (self->fraction_binding != NULL)
    g_binding_unbind (self->fraction_binding);
  self->fraction_binding = NULL;
  g_clear_object (&self->job);
}

static void
qs_running_page_dispose (GObject *object)
{
  QsRunningPage *self = QS_RUNNING_PAGE (object);

  disconnect_job (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), QS_TYPE_RUNNING_PAGE);
  qs_ui_unparent_children (GTK_WIDGET (self));

  G_OBJECT_CLASS (qs_running_page_parent_class)->dispose (object);
}

static void
qs_running_page_class_init (QsRunningPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = qs_running_page_dispose;

  g_type_ensure (QS_TYPE_LAYER_TABLE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/quantscope/Quantscope/ui/qs-running-page.ui");
  gtk_widget_class_bind_template_child (widget_class, QsRunningPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, QsRunningPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, QsRunningPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, QsRunningPage, layers_label);
  gtk_widget_class_bind_template_child (widget_class, QsRunningPage, current_label);
  gtk_widget_class_bind_template_child (widget_class, QsRunningPage, eta_label);
  gtk_widget_class_bind_template_child (widget_class, QsRunningPage, layer_table);

  gtk_widget_class_set_css_name (widget_class, "qsrunningpage");
}

static void
qs_running_page_init (QsRunningPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  qs_layer_table_set_show_details (self->layer_table, FALSE);
  qs_layer_table_set_searchable (self->layer_table, FALSE);
}

void
qs_running_page_set_job (QsRunningPage *self,
                         QsAnalysisJob *job,
                         const char    *model_name,
                         GListModel    *rows)
{
  g_autofree char *title = NULL;

  g_return_if_fail (QS_IS_RUNNING_PAGE (self));
  g_return_if_fail (job == NULL || QS_IS_ANALYSIS_JOB (job));

  disconnect_job (self);
  self->stopping = FALSE;
  gtk_widget_set_sensitive (self->cancel_button, TRUE);
  qs_layer_table_set_model (self->layer_table, rows);
  qs_layer_table_set_summary (self->layer_table, NULL);

  if (job == NULL)
    return;

  /* Translators: %s is the model name */
  title = g_strdup_printf (_("Analysing %s"), model_name != NULL ? model_name : _("the model"));
  gtk_label_set_text (self->title_label, title);

  self->job = g_object_ref (job);
  self->fraction_binding = g_object_bind_property (job, "fraction", self->progress_bar, "fraction",
                                                   G_BINDING_SYNC_CREATE);
  self->notify_id = g_signal_connect_swapped (job, "notify", G_CALLBACK (job_notify_cb), self);
  update_progress (self);
}

void
qs_running_page_set_stopping (QsRunningPage *self)
{
  g_return_if_fail (QS_IS_RUNNING_PAGE (self));

  self->stopping = TRUE;
  gtk_widget_set_sensitive (self->cancel_button, FALSE);
  if (self->job != NULL)
    update_progress (self);
}

QsLayerTable *
qs_running_page_get_table (QsRunningPage *self)
{
  g_return_val_if_fail (QS_IS_RUNNING_PAGE (self), NULL);

  return self->layer_table;
}
